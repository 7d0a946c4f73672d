/** A COMPSs job request (spec/original-lm.md §7.2 (12)) and what the LM sends for it. */

export interface StartJobRequest {
  ceiClass: string;
  className: string;
  hasResult: boolean;
  methodName: string;
  /** The caller's `<params …>…</params>` XML, placed verbatim inside `<parameters>`. */
  parameters: string;
}

/** One agent taking part in the job: COMPSs reaches it on its REST port. */
export interface CompssResource {
  ip: string;
  port: number;
}

export interface StartApplicationCall {
  instanceUuid: string;
  master: CompssResource;
  resources: CompssResource[];
  job: StartJobRequest;
}
