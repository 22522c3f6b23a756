// Test-only preload for a broker child process (through NODE_OPTIONS): SIGUSR2 runs a full garbage
// collection, so memory figures taken before and after a soak compare retained memory, not the point of
// V8's collection cycle at which each was read.
const v8 = require('node:v8');
const vm = require('node:vm');
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
process.on('SIGUSR2', () => gc());
