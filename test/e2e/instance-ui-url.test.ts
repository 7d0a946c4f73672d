/**
 * Every instance document the API answers with carries `ui_url`, its workflow's page on the Temporal Web UI that
 * LM_TEMPORAL_UI_URL names (real Temporal, real Docker): on submit, GET, the list and operations alike.
 */
import { getInstance, operate, submit } from '../support/api-calls';
import { startLm, type LmHarness } from '../support/lm-harness';

let lm: LmHarness;

beforeAll(async () => {
  lm = await startLm({ LM_TEMPORAL_UI_URL: 'http://ui.lm.test:8080/temporal/' });
});

afterAll(async () => {
  await lm?.stop();
});

test('ui_url is the workflow page on LM_TEMPORAL_UI_URL, namespace and workflow id encoded', async () => {
  const { uuid, instance } = await submit(lm.api);
  lm.made.push(uuid);
  const expected = `http://ui.lm.test:8080/temporal/namespaces/default/workflows/service-instance%2F${uuid}`;
  expect(instance).toMatchObject({ ui_url: expected });
  expect(await getInstance(lm.api, uuid)).toMatchObject({ ui_url: expected });
  const stopped = await operate(lm.api, uuid, 'stop');
  expect(stopped.data.service_instance.ui_url).toBe(expected);
  const list = await lm.api.get('/api/v2/lm/service-instances/all?status=stopped');
  const listed = (list.data.service_instances as Array<{ id: string; ui_url?: string }>).find((i) => i.id === `service-instance/${uuid}`);
  expect(listed?.ui_url).toBe(expected);
});
