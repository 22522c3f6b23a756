/**
 * Compiles a client's `subscribed_topic_regex`. Kafka uses RE2/J (linear time); Node's RegExp backtracks,
 * so a pattern like `(a+)+$` against a 249-character topic name could block the event loop for ages. We
 * found no RE2 binding without an install script, so patterns are bounded instead: at most
 * MAX_REGEX_LENGTH characters, no backreferences or lookarounds, and no quantified group that itself
 * contains a quantifier or alternation (the shapes that backtrack exponentially). Anything else gets
 * INVALID_REGULAR_EXPRESSION-style refusal (INVALID_REQUEST on 3.9, which has no dedicated code).
 */

/** No Kafka limit exists; 1 KiB is far more than any practical topic pattern needs. */
export const MAX_REGEX_LENGTH = 1024;

export class UnsafeRegexError extends Error {}

export function compileTopicRegex(source: string): RegExp {
  if (source.length > MAX_REGEX_LENGTH) throw new UnsafeRegexError(`subscribed topic regex is longer than ${MAX_REGEX_LENGTH} characters`);
  if (/\\[1-9]|\\k<|\(\?[=!<]/.test(source)) throw new UnsafeRegexError('subscribed topic regex may not use backreferences or lookarounds');
  // Find each group; refuse it when it is quantified and contains a quantifier or alternation.
  const stack: number[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      continue;
    }
    if (c === '(') stack.push(i);
    else if (c === ')') {
      const start = stack.pop() ?? 0;
      const next = source[i + 1];
      const body = source.slice(start + 1, i);
      if ((next === '*' || next === '+' || next === '{' || next === '?') && /[*+{|?]/.test(body.replace(/^\?:/, '').replace(/\\./g, ''))) {
        throw new UnsafeRegexError('subscribed topic regex may not quantify a group that contains a quantifier or alternation');
      }
    }
  }
  try {
    // Kafka matches the whole topic name (Pattern.matcher(topic).matches()).
    return new RegExp(`^(?:${source})$`, 'u');
  } catch (err) {
    throw new UnsafeRegexError(`subscribed topic regex does not compile: ${(err as Error).message}`);
  }
}
