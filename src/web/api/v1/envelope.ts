// The JSON envelope every /api/v1 answer uses, as Prometheus's api.go writes it.
import type { FastifyReply } from 'fastify';

export type ErrorType =
  | 'bad_data'
  | 'execution'
  | 'canceled'
  | 'timeout'
  | 'internal'
  | 'unavailable'
  | 'not_found'
  | 'not_acceptable';

/** HTTP status per error type, as in Prometheus's web/api/v1. */
export const ERROR_STATUS: Record<ErrorType, number> = {
  bad_data: 400,
  execution: 422,
  canceled: 499, // nginx's "client closed request", as api.go's statusClientClosedConnection
  timeout: 503,
  internal: 500,
  unavailable: 503,
  not_found: 404,
  not_acceptable: 406,
};

export function sendSuccess(reply: FastifyReply, data: unknown): FastifyReply {
  return reply.code(200).header('content-type', 'application/json').send({ status: 'success', data });
}

export function sendError(reply: FastifyReply, type: ErrorType, message: string): FastifyReply {
  return reply
    .code(ERROR_STATUS[type])
    .header('content-type', 'application/json')
    .send({ status: 'error', errorType: type, error: message });
}
