/**
 * Starting a COMPSs job on the master agent: `PUT /COMPSs/startApplication` with XML, answered by the
 * application id as text (it exceeds 2^53, so it is never parsed as a number).
 */
import { heartbeat } from '@temporalio/activity';
import axios, { type AxiosError } from 'axios';
import { FailureType } from '../../workflows/model/failures';
import type { StartApplicationCall } from '../../workflows/model/compss-job';
import { errorMessage, failure } from '../failures';
import { startApplicationXml } from './start-application-xml';

const APP_ID = /^-?\d{1,30}$/;
const HEARTBEAT_EVERY_MS = 2_000;

export function createCompssActivities(timeoutMs: number) {
  return {
    async startCompssApplication(call: StartApplicationCall): Promise<string> {
      const url = `http://${call.master.ip}:${call.master.port}/COMPSs/startApplication`;
      let body: string;
      // The workflow sends this once: its heartbeats tell a worker lost mid-call from a slow COMPSs agent.
      heartbeat();
      const beat = setInterval(() => heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        const response = await axios.put<string>(url, startApplicationXml(call), {
          headers: { 'Content-Type': 'application/xml' },
          responseType: 'text',
          transformResponse: (data: string) => data,
          timeout: timeoutMs,
        });
        body = String(response.data).trim();
      } catch (err) {
        const { code, response } = err as AxiosError<string>;
        // Refused before anything was sent: the job did not start, so trying again is safe.
        if (code === 'ECONNREFUSED') {
          throw failure(FailureType.PeerUnavailable, `the COMPSs agent at ${url} refused the connection; is the instance running?`, err);
        }
        // Anything later may have started the job: never send it twice.
        const answer = response ? `answered ${response.status}: ${String(response.data).slice(0, 300)}` : `failed: ${errorMessage(err)}`;
        throw failure(FailureType.PeerRejected, `the COMPSs agent at ${url} ${answer}`, err);
      } finally {
        clearInterval(beat);
      }
      if (!APP_ID.test(body)) {
        throw failure(FailureType.PeerRejected, `the COMPSs agent at ${url} answered "${body.slice(0, 100)}", not an application id`);
      }
      return body;
    },
  };
}

export type CompssActivities = ReturnType<typeof createCompssActivities>;
