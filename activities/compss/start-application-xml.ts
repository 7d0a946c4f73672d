/**
 * The XML body of COMPSs `startApplication` (spec/mf2c-peers.md §6.2), built with escaping (the original
 * concatenated strings: bug D7) and a canonical xs:boolean for hasResult (bug C12).
 */
import type { CompssResource, StartApplicationCall } from '../../workflows/model/compss-job';

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** The fixed description COMPSs expects for an agent resource (values as the original sends them). */
export function externalResource({ ip, port }: CompssResource): string {
  return (
    '<externalResource>' +
    '<adaptor>es.bsc.compss.agent.rest.master.Adaptor</adaptor>' +
    '<description>' +
    '<memorySize>4.0</memorySize><memoryType>[unassigned]</memoryType>' +
    '<operatingSystemDistribution>[unassigned]</operatingSystemDistribution>' +
    '<operatingSystemType>[unassigned]</operatingSystemType>' +
    '<operatingSystemVersion>[unassigned]</operatingSystemVersion>' +
    '<pricePerUnit>-1.0</pricePerUnit><priceTimeUnit>-1</priceTimeUnit>' +
    '<processors><architecture>[unassigned]</architecture><computingUnits>2</computingUnits>' +
    '<internalMemory>-1.0</internalMemory><name>MainProcessor</name><propName>[unassigned]</propName>' +
    '<propValue>[unassigned]</propValue><speed>-1.0</speed><type>CPU</type></processors>' +
    '<storageSize>-1.0</storageSize><storageType>[unassigned]</storageType><value>0.0</value><wallClockLimit>-1</wallClockLimit>' +
    '</description>' +
    `<name>${escapeXml(ip)}</name>` +
    '<resourceConf xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="ResourcesExternalAdaptorProperties">' +
    `<Property><Name>Port</Name><Value>${port}</Value></Property>` +
    '</resourceConf>' +
    '</externalResource>'
  );
}

export function startApplicationXml({ instanceUuid, resources, job }: StartApplicationCall): string {
  return (
    "<?xml version='1.0' encoding='utf-8'?>" +
    '<startApplication>' +
    `<ceiClass>${escapeXml(job.ceiClass)}</ceiClass>` +
    `<className>${escapeXml(job.className)}</className>` +
    `<hasResult>${job.hasResult ? 'true' : 'false'}</hasResult>` +
    `<methodName>${escapeXml(job.methodName)}</methodName>` +
    `<parameters>${job.parameters}</parameters>` +
    `<resources>${resources.map(externalResource).join('')}</resources>` +
    `<serviceInstanceId>${escapeXml(instanceUuid)}</serviceInstanceId>` +
    '</startApplication>'
  );
}
