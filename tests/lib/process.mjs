// Child-process helpers shared by the fake-upstream and proxy launchers.

// Resolves with the regexp match of the first stdout line matching `pattern`; rejects if
// the process exits first or `timeoutMs` passes. Keeps reading stdout afterwards (so the
// child never blocks on a full pipe) into child.stdoutText.
export function waitForLine(child, pattern, timeoutMs) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdoutText = '';
    let done = false;
    const finish = (fn, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      fn(value);
    };
    const timer = setTimeout(() => finish(reject, new Error(
      `no line matching ${pattern} within ${timeoutMs} ms; stdout so far: ${child.stdoutText}`)),
      timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      child.stdoutText += chunk;
      if (done) return;
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        const m = pattern.exec(line);
        if (m) return finish(resolve, m);
      }
    });
    child.once('exit', (code, signal) => finish(reject, new Error(
      `process exited (code ${code}, signal ${signal}) before printing ${pattern}; ` +
      `stdout: ${child.stdoutText}; stderr: ${child.stderrText ?? ''}`)));
    child.once('error', (err) => finish(reject, err));
  });
}
