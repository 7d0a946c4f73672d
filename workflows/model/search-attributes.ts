/** Custom search attributes: the Web UI and `GET …/all` filter instances by these. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA_STATUS = defineSearchAttributeKey('LmStatus', SearchAttributeType.KEYWORD);
export const SA_SERVICE_ID = defineSearchAttributeKey('LmServiceId', SearchAttributeType.KEYWORD);
export const SA_SERVICE_NAME = defineSearchAttributeKey('LmServiceName', SearchAttributeType.KEYWORD);
export const SA_USER = defineSearchAttributeKey('LmUser', SearchAttributeType.KEYWORD);
export const SA_EXEC_TYPE = defineSearchAttributeKey('LmExecType', SearchAttributeType.KEYWORD);
export const SA_AGENT_COUNT = defineSearchAttributeKey('LmAgentCount', SearchAttributeType.INT);
/** The agent IPs an instance has agents on: an agent that is lost or back tells exactly those instances. */
export const SA_AGENTS = defineSearchAttributeKey('LmAgents', SearchAttributeType.KEYWORD_LIST);

export const LM_SEARCH_ATTRIBUTES = [SA_STATUS, SA_SERVICE_ID, SA_SERVICE_NAME, SA_USER, SA_EXEC_TYPE, SA_AGENT_COUNT, SA_AGENTS];
