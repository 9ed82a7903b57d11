// undici's Agent and ProxyAgent, without the rest of undici. Importing 'undici' evaluates all of it at
// every start (fetch, WebSocket, EventSource, caches, mocks, interceptors), in the time a restart waits
// on before its WAL replay (bench/RESULTS.md, issue 19); scraping needs only the two dispatchers and
// the request API that undici's index adds to every dispatcher, which is done here the same way.
// (undici has no package exports map, so its files may be imported by path; package-lock.json pins it.)
import AgentClass from 'undici/lib/dispatcher/agent.js';
import DispatcherClass from 'undici/lib/dispatcher/dispatcher.js';
import ProxyAgentClass from 'undici/lib/dispatcher/proxy-agent.js';
import api from 'undici/lib/api/index.js';

Object.assign(DispatcherClass.prototype, api);

export const Agent = AgentClass;
export type Agent = InstanceType<typeof AgentClass>;
export const ProxyAgent = ProxyAgentClass;
export type ProxyAgent = InstanceType<typeof ProxyAgentClass>;
export type { Dispatcher } from 'undici';
