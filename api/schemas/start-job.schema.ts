/** Body of a COMPSs start-job (`PUT …/<uuid>/der`, `…/<uuid>/compss`, or `PUT …/<uuid>` with operation start-job). */
import { z } from 'zod';
import { parametersProblem } from '../../activities/compss/parameters-fragment';

const required = (name: string) =>
  z
    .string({ error: `parameter not found: ${name}` })
    .min(1, `${name} must not be empty`)
    .max(1000);

export const StartJobBodySchema = z
  .looseObject({
    operation: z.string({ error: 'parameter not found: operation ("start-job")' }),
    ceiClass: required('ceiClass').meta({ example: 'es.bsc.compss.agent.test.TestItf' }),
    className: required('className').meta({ example: 'es.bsc.compss.agent.test.Test' }),
    hasResult: z
      .union([z.boolean(), z.enum(['true', 'false', 'True', 'False'])], { error: 'parameter not found: hasResult (true or false)' })
      .transform((value) => value === true || value === 'true' || value === 'True'),
    methodName: required('methodName').meta({ example: 'main' }),
    parameters: z
      .string({ error: 'parameter not found: parameters (the <params …>…</params> XML of the call)' })
      .max(1_000_000)
      .superRefine((fragment, ctx) => {
        const problem = parametersProblem(fragment);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .meta({ example: '<params paramId="0"><direction>IN</direction>…</params>' }),
  })
  .meta({ id: 'StartJobRequest' });

export type StartJobBody = z.infer<typeof StartJobBodySchema>;
