/**
 * `kafkaesque broker [options]`: runs the embedded broker in the foreground. Prints exactly one line on
 * stdout, `kafkaesque broker listening on HOST:PORT`, once it accepts connections (scripts wait for it);
 * logs go to stderr. SIGTERM/SIGINT shut down cleanly (exit 0); a second signal exits at once (exit 1).
 */
import { brokerOptionsHelp, ConfigError, parseBrokerArgs } from '../broker/config.js';
import { startBroker } from '../broker/index.js';
import { UsageError, type Command } from './command.js';

export const brokerCommand: Command = {
  name: 'broker',
  summary: 'run the Kafka-protocol broker in the foreground',
  help() {
    return [
      'Usage: kafkaesque broker [options]',
      '',
      'Runs the embedded broker: Kafka clients connect to HOST:PORT. Prints',
      '"kafkaesque broker listening on HOST:PORT" on stdout when ready (with --listeners: one line',
      '"kafkaesque broker listening on HOST:PORT (PROTOCOL)" per listener); logs (JSON) go to stderr.',
      'SIGTERM or SIGINT: finish in-flight requests, flush, mark the logs clean, exit 0.',
      'With --http-port: /metrics (Prometheus), /healthz and /readyz over HTTP; its address goes to stderr.',
      'SIGHUP: reload --ssl-cert/--ssl-key/--ssl-ca (the HTTPS endpoint\'s too); open connections are kept.',
      '',
      'Security: e.g. --listeners SASL_SSL://0.0.0.0:9093 --ssl-cert cert.pem --ssl-key key.pem --users users.json',
      '(see the README\'s Security section).',
      '',
      'Options (sizes take k/m/g suffixes, durations ms/s/m/h/d):',
      brokerOptionsHelp(),
      '  -h, --help  show this help',
    ].join('\n');
  },
  async run(argv) {
    let parsed;
    try {
      parsed = parseBrokerArgs(argv);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
    const { help, ...config } = parsed;
    if (help) {
      process.stdout.write(this.help() + '\n');
      return 0;
    }
    let broker: Awaited<ReturnType<typeof startBroker>> | undefined;
    // Caught before the ready lines go out: a SIGHUP sent as soon as a supervisor reads them would otherwise
    // find no handler yet, and SIGHUP's default action ends the process. Before the broker is up it is ignored.
    process.on('SIGHUP', () => {
      broker?.reloadCertificates();
    });
    try {
      broker = await startBroker(config);
    } catch (err) {
      process.stderr.write(`kafkaesque broker: could not start: ${(err as Error).message}\n`);
      return 1;
    }
    process.stdout.write(readyLines(broker.listeners));
    // On stderr, so stdout keeps its one line; says which port --http-port 0 picked.
    if (broker.http) process.stderr.write(`kafkaesque broker: HTTP endpoint (console /, /api, /metrics, /healthz, /readyz) on ${broker.http.tls ? 'https' : 'http'}://${broker.http.host}:${broker.http.port}\n`);
    const running = broker;
    return await new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) {
          process.stderr.write(`kafkaesque broker: second ${signal}, exiting without a clean shutdown\n`);
          process.exit(1);
        }
        stopping = true;
        running.close().then(
          () => resolve(0),
          (err: unknown) => {
            process.stderr.write(`kafkaesque broker: shutdown failed: ${(err as Error).message}\n`);
            resolve(1);
          },
        );
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
  },
};

/** The ready line(s): the historical single line for one PLAINTEXT listener, else one per listener with its protocol. */
export function readyLines(listeners: ReadonlyArray<{ protocol: string; host: string; port: number }>): string {
  if (listeners.length === 1 && listeners[0]!.protocol === 'PLAINTEXT') return `kafkaesque broker listening on ${listeners[0]!.host}:${listeners[0]!.port}\n`;
  return listeners.map((l) => `kafkaesque broker listening on ${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port} (${l.protocol})\n`).join('');
}
