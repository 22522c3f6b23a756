/**
 * `/healthz` (liveness: the process answers) and `/readyz` (readiness: the logs are open and the Kafka
 * listener serves, and the broker is not shutting down). Both are public: probes carry no credentials.
 * Registered as soon as the HTTP endpoint binds, so an orchestrator sees a broker recovering its logs as
 * alive but not ready, instead of dead.
 */
import { json, type HttpServer } from './server.js';

export type BrokerPhase = 'starting' | 'ready' | 'stopping';

export class BrokerHealth {
  phase: BrokerPhase = 'starting';
  private readonly startedAt = Date.now();

  install(http: HttpServer): void {
    http.registerRoute('GET', '/healthz', (_req, res) => json(res, 200, { status: 'ok', phase: this.phase, uptimeSeconds: this.uptimeSeconds() }), { public: true });
    http.registerRoute(
      'GET',
      '/readyz',
      (_req, res) => json(res, this.phase === 'ready' ? 200 : 503, { ready: this.phase === 'ready', phase: this.phase }),
      { public: true },
    );
  }

  private uptimeSeconds(): number {
    return Math.round((Date.now() - this.startedAt) / 1000);
  }
}
