/** Custom search attributes: the Web UI and `GET …/all` filter instances by these. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA_STATUS = defineSearchAttributeKey('LmStatus', SearchAttributeType.KEYWORD);
export const SA_SERVICE_ID = defineSearchAttributeKey('LmServiceId', SearchAttributeType.KEYWORD);
export const SA_SERVICE_NAME = defineSearchAttributeKey('LmServiceName', SearchAttributeType.KEYWORD);
export const SA_USER = defineSearchAttributeKey('LmUser', SearchAttributeType.KEYWORD);
export const SA_EXEC_TYPE = defineSearchAttributeKey('LmExecType', SearchAttributeType.KEYWORD);
export const SA_AGENT_COUNT = defineSearchAttributeKey('LmAgentCount', SearchAttributeType.INT);

export const LM_SEARCH_ATTRIBUTES = [SA_STATUS, SA_SERVICE_ID, SA_SERVICE_NAME, SA_USER, SA_EXEC_TYPE, SA_AGENT_COUNT];
