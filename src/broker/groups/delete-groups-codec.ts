/**
 * DeleteGroups (key 42) v0–2, written by hand: the schema set in shared/kafka-protocol has no
 * DeleteGroups*.json, so the generator cannot emit it. Layout from Kafka's DeleteGroupsRequest.json /
 * DeleteGroupsResponse.json (3.9): request `GroupsNames []string`; response `ThrottleTimeMs int32,
 * Results [] { GroupId string, ErrorCode int16 }`; flexible from v2. Replace with the generated codec once
 * the schemas are added.
 */
import { type ApiCodec, checkReadVersion, checkWriteVersion } from '../../protocol/codec.js';
import { codecByApiKey } from '../../protocol/messages/index.js';
import type { Reader, Writer } from '../../protocol/primitives.js';

export interface DeleteGroupsRequest {
  groupsNames: string[];
}

export interface DeleteGroupsResponseResult {
  groupId: string;
  errorCode: number;
}

export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: DeleteGroupsResponseResult[];
}

const MIN = 0;
const MAX = 2;
const FLEXIBLE_FROM = 2;

export const DeleteGroups: ApiCodec<DeleteGroupsRequest, DeleteGroupsResponse> = {
  apiKey: 42,
  name: 'DeleteGroups',
  minVersion: MIN,
  maxVersion: MAX,
  flexibleFrom: FLEXIBLE_FROM,
  writeRequest(w: Writer, version: number, v: DeleteGroupsRequest): void {
    checkWriteVersion('DeleteGroupsRequest', version, MIN, MAX);
    const flexible = version >= FLEXIBLE_FROM;
    if (flexible) w.compactArrayLength(v.groupsNames.length);
    else w.arrayLength(v.groupsNames.length);
    for (const g of v.groupsNames) {
      if (flexible) w.compactString(g);
      else w.string(g);
    }
    if (flexible) w.taggedFields();
  },
  readRequest(r: Reader, version: number): DeleteGroupsRequest {
    checkReadVersion(r, 'DeleteGroupsRequest', version, MIN, MAX);
    const flexible = version >= FLEXIBLE_FROM;
    const n = flexible ? r.compactArrayLength('groupsNames', 1, false) : r.arrayLength('groupsNames', 2, false);
    const groupsNames: string[] = [];
    for (let i = 0; i < n; i++) groupsNames.push(flexible ? r.compactString('groupsNames') : r.string('groupsNames'));
    if (flexible) r.taggedFields('_tagged_fields');
    return { groupsNames };
  },
  writeResponse(w: Writer, version: number, v: DeleteGroupsResponse): void {
    checkWriteVersion('DeleteGroupsResponse', version, MIN, MAX);
    const flexible = version >= FLEXIBLE_FROM;
    w.int32(v.throttleTimeMs);
    if (flexible) w.compactArrayLength(v.results.length);
    else w.arrayLength(v.results.length);
    for (const res of v.results) {
      if (flexible) w.compactString(res.groupId);
      else w.string(res.groupId);
      w.int16(res.errorCode);
      if (flexible) w.taggedFields();
    }
    if (flexible) w.taggedFields();
  },
  readResponse(r: Reader, version: number): DeleteGroupsResponse {
    checkReadVersion(r, 'DeleteGroupsResponse', version, MIN, MAX);
    const flexible = version >= FLEXIBLE_FROM;
    const throttleTimeMs = r.int32('throttleTimeMs');
    const n = flexible ? r.compactArrayLength('results', 3, false) : r.arrayLength('results', 4, false);
    const results: DeleteGroupsResponseResult[] = [];
    for (let i = 0; i < n; i++) {
      const groupId = flexible ? r.compactString('results.groupId') : r.string('results.groupId');
      const errorCode = r.int16('results.errorCode');
      if (flexible) r.taggedFields('results._tagged_fields');
      results.push({ groupId, errorCode });
    }
    if (flexible) r.taggedFields('_tagged_fields');
    return { throttleTimeMs, results };
  },
};

// Header versions (request v2 / response v1 when flexible) are derived from this map for every API; the
// hand-written codec joins it so DeleteGroups v2 gets the same treatment as the generated ones.
if (!codecByApiKey.has(DeleteGroups.apiKey)) codecByApiKey.set(DeleteGroups.apiKey, DeleteGroups as ApiCodec<unknown, unknown>);
