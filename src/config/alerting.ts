// The `alerting` section (Prometheus AlertingConfig / AlertmanagerConfig). Alert relabelling is
// accepted; sending to Alertmanagers is not implemented yet, but their configs are fully checked.
import type { NameValidationScheme } from '../model/labelname.js';
import { checkDiscoveryNulls, checkStaticTargets, discoveryFields } from './discovery.js';
import { httpClientFields, validateHTTPClient } from './http.js';
import { relabelSchema, validateRelabelList } from './relabel.js';
import { duration, list, object, raw, str, type Obj, type ObjectSchema } from './schema.js';
import { fieldError } from './source.js';

const alertmanagerSchema: ObjectSchema = {
  type: 'config.AlertmanagerConfig',
  fields: [
    ...httpClientFields,
    { name: 'sigv4', kind: raw, optional: true },
    { name: 'scheme', kind: str, def: () => 'http' },
    { name: 'path_prefix', kind: str },
    { name: 'timeout', kind: duration, def: () => 10_000 },
    { name: 'api_version', kind: str, def: () => 'v2', always: true },
    { name: 'relabel_configs', kind: list(object(relabelSchema)) },
    { name: 'alert_relabel_configs', kind: list(object(relabelSchema)) },
    ...discoveryFields,
  ],
  finish(o) {
    if (o.api_version !== 'v2') {
      throw fieldError(
        o,
        'api_version',
        `expected Alertmanager api version to be one of [v2] but got ${o.api_version as string}`,
      );
    }
    checkDiscoveryNulls(o);
    validateHTTPClient(o);
    const auth = ['basic_auth', 'authorization', 'oauth2'].some((k) => o[k] !== undefined);
    if (auth && o.sigv4 !== undefined) {
      throw fieldError(
        o,
        'sigv4',
        'at most one of basic_auth, authorization, oauth2, & sigv4 must be configured',
      );
    }
    if ((o.relabel_configs as unknown[]).length === 0) checkStaticTargets(o);
    if ((o.relabel_configs as unknown[]).some((r) => r === null)) {
      throw fieldError(o, 'relabel_configs', 'empty or null Alertmanager target relabeling rule');
    }
    if ((o.alert_relabel_configs as unknown[]).some((r) => r === null)) {
      throw fieldError(o, 'alert_relabel_configs', 'empty or null Alertmanager alert relabeling rule');
    }
  },
};

export const alertingSchema: ObjectSchema = {
  type: 'config.AlertingConfig',
  fields: [
    { name: 'alert_relabel_configs', kind: list(object(relabelSchema)) },
    { name: 'alertmanagers', kind: list(object(alertmanagerSchema)) },
  ],
  finish(o) {
    if ((o.alert_relabel_configs as unknown[]).some((r) => r === null)) {
      throw fieldError(o, 'alert_relabel_configs', 'empty or null alert relabeling rule');
    }
  },
};

/** AlertingConfig.Validate(scheme): the relabel rules, once the global scheme is known. */
export function validateAlerting(o: Obj, scheme: NameValidationScheme): void {
  validateRelabelList(o, 'alert_relabel_configs', scheme, 'empty or null alert relabeling rule');
  (o.alertmanagers as Array<Obj | null>).forEach((am) => {
    if (am === null) throw fieldError(o, 'alertmanagers', 'empty or null alertmanager config');
    validateRelabelList(
      am,
      'alert_relabel_configs',
      scheme,
      'empty or null Alertmanager alert relabeling rule',
    );
    validateRelabelList(am, 'relabel_configs', scheme, 'empty or null Alertmanager target relabeling rule');
  });
}
