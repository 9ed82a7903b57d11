// Public surface of the configuration module.
export { ConfigError } from './errors.js';
export { Secret } from './secret.js';
export type * from './types.js';
export { loadConfigFile, parseConfig } from './config.js';
export { configToYaml } from './print.js';
export { expandRuleFiles } from './files.js';
export { movedBearerTokenFile } from './http.js';
export { defaultConfigYaml } from './defaults.js';
export { glob } from './glob.js';
export { configChecksum } from './checksum.js';
