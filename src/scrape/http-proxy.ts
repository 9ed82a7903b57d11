// Which proxy a request goes through, as prometheus/common's ProxyConfig.Proxy decides it:
// proxy_url alone proxies every request (Go's http.ProxyURL); proxy_url with no_proxy, and
// proxy_from_environment, follow golang.org/x/net/http/httpproxy, which never proxies localhost or
// loopback addresses and skips hosts matched by the NO_PROXY list.
import net from 'node:net';
import type { ProxyConfig } from '../config/types.js';

/** The proxy URL for a request URL, or undefined to connect directly. Throws for a bogus proxy. */
export type ProxyFunc = (target: URL) => string | undefined;

interface NoProxyRule {
  match(host: string, port: string, ip: string | undefined): boolean;
}

/** Builds the proxy choice for a config; undefined when no proxy is configured at all. */
export function proxyFunc(cfg: ProxyConfig, env: NodeJS.ProcessEnv = process.env): ProxyFunc | undefined {
  if (cfg.proxy_from_environment) {
    const get = (...names: string[]): string => {
      for (const n of names) {
        const v = env[n];
        if (v !== undefined && v !== '') return v;
      }
      return '';
    };
    return httpProxyFunc({
      httpProxy: get('HTTP_PROXY', 'http_proxy'),
      httpsProxy: get('HTTPS_PROXY', 'https_proxy'),
      noProxy: get('NO_PROXY', 'no_proxy'),
      cgi: (env.REQUEST_METHOD ?? '') !== '',
    });
  }
  if (cfg.proxy_url === '') return undefined;
  if (cfg.no_proxy === '') {
    const proxy = cfg.proxy_url;
    return () => proxy;
  }
  return httpProxyFunc({
    httpProxy: cfg.proxy_url,
    httpsProxy: cfg.proxy_url,
    noProxy: cfg.no_proxy,
    cgi: false,
  });
}

interface HttpProxyConfig {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
  cgi: boolean;
}

function httpProxyFunc(c: HttpProxyConfig): ProxyFunc {
  let httpProxy: string | undefined;
  let httpsProxy: string | undefined;
  try {
    httpProxy = parseProxy(c.httpProxy);
    httpsProxy = parseProxy(c.httpsProxy);
  } catch (err) {
    // A bogus proxy fails each request rather than the client's creation.
    return () => {
      throw err;
    };
  }
  const rules = parseNoProxy(c.noProxy);
  return (target) => {
    let proxy: string | undefined;
    if (target.protocol === 'https:') proxy = httpsProxy;
    else if (target.protocol === 'http:') {
      proxy = httpProxy;
      if (proxy !== undefined && c.cgi) {
        throw new Error('refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy');
      }
    }
    if (proxy === undefined) return undefined;
    return useProxy(rules, target) ? proxy : undefined;
  };
}

/** httpproxy's parseProxy: a value without a scheme means http://. */
function parseProxy(value: string): string | undefined {
  if (value === '') return undefined;
  const tryParse = (s: string): URL | undefined => {
    try {
      const u = new URL(s);
      return u.host === '' ? undefined : u;
    } catch {
      return undefined;
    }
  };
  const u = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) ? tryParse(value) : tryParse(`http://${value}`);
  if (u === undefined) throw new Error(`invalid proxy address ${JSON.stringify(value)}`);
  return u.href;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Go's net.SplitHostPort, enough for NO_PROXY entries; undefined where Go reports an error. */
function splitHostPort(s: string): [string, string] | undefined {
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0 || s[end + 1] !== ':') return undefined;
    return [s.slice(1, end), s.slice(end + 2)];
  }
  const i = s.lastIndexOf(':');
  if (i < 0 || s.indexOf(':') !== i) return undefined;
  return [s.slice(0, i), s.slice(i + 1)];
}

function ipFamily(ip: string): 'ipv4' | 'ipv6' {
  return net.isIPv4(ip) ? 'ipv4' : 'ipv6';
}

function parseNoProxy(list: string): NoProxyRule[] {
  const rules: NoProxyRule[] = [];
  for (const raw of list.split(',')) {
    const p = raw.trim().toLowerCase();
    if (p === '') continue;
    if (p === '*') return [{ match: () => true }];
    const slash = p.indexOf('/');
    if (slash > 0 && net.isIP(p.slice(0, slash)) !== 0 && /^\d+$/.test(p.slice(slash + 1))) {
      const addr = p.slice(0, slash);
      const bits = Number(p.slice(slash + 1));
      const blocks = new net.BlockList();
      try {
        blocks.addSubnet(addr, bits, ipFamily(addr));
      } catch {
        continue;
      }
      rules.push({ match: (_h, _p, ip) => ip !== undefined && blocks.check(ip, ipFamily(ip)) });
      continue;
    }
    let host = p;
    let port = '';
    const hp = splitHostPort(p);
    if (hp !== undefined) {
      if (hp[0] === '') continue; // no host part: malformed, ignored as httpproxy does
      [host, port] = hp;
    }
    if (net.isIP(host) !== 0) {
      const blocks = new net.BlockList();
      blocks.addAddress(host, ipFamily(host));
      rules.push({
        match: (_h, reqPort, ip) =>
          ip !== undefined && blocks.check(ip, ipFamily(ip)) && (port === '' || port === reqPort),
      });
      continue;
    }
    if (host.startsWith('*.')) host = host.slice(1);
    const matchHost = !host.startsWith('.');
    if (matchHost) host = `.${host}`;
    const suffix = host;
    rules.push({
      match: (reqHost, reqPort) =>
        (reqHost.endsWith(suffix) || (matchHost && reqHost === suffix.slice(1))) &&
        (port === '' || port === reqPort),
    });
  }
  return rules;
}

function isLoopback(ip: string): boolean {
  if (net.isIPv4(ip)) return ip.startsWith('127.');
  const lower = ip.toLowerCase();
  if (lower.startsWith('::ffff:') && net.isIPv4(lower.slice(7))) return lower.slice(7).startsWith('127.');
  return lower === '::1' || lower === '0:0:0:0:0:0:0:1';
}

function useProxy(rules: NoProxyRule[], target: URL): boolean {
  const host = stripBrackets(target.hostname).toLowerCase();
  const port = target.port !== '' ? target.port : target.protocol === 'https:' ? '443' : '80';
  if (host === 'localhost') return false;
  const ip = net.isIP(host) !== 0 ? host : undefined;
  if (ip !== undefined && isLoopback(ip)) return false;
  return !rules.some((r) => r.match(host, port, ip));
}
