/**
 * kafkajs 2.2.4's RequestQueue arms a timer with `throttledUntil - Date.now()` even when nothing is pending,
 * a negative delay. Node has always run such timers after 1 ms, but Node 24 also prints a
 * TimeoutNegativeWarning for each one, so every kafkajs-backed CLI command (groups, acls, topics over SASL)
 * wrote a stray line to stderr. The CLI drops that one warning and prints every other as Node does.
 */
export function dropNegativeTimeoutWarnings(): void {
  // Under --no-warnings Node installs no printer; keep it that way.
  if (process.listenerCount('warning') === 0) return;
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    process.stderr.write(`(node:${process.pid}) ${warning.name}: ${warning.message}\n`);
  });
}
