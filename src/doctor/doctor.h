// `claudegpt doctor`: checks what a working session needs, one line per check, each failure
// with the fix:
//   ok   <what>
//   warn <what>: <problem> — fix: <how>
//   FAIL <what>: <problem> — fix: <how>
//
// In order: the configuration is complete for the chosen provider; the .env files and the
// Codex login are private (not readable by other users); the Codex token has not expired; the
// `claude` binary is there and answers `--version`; the upstream resolves (DNS), accepts a
// connection (and a TLS handshake for https), and takes the credentials and the sonnet tier's
// model in one tiny request; then, as warnings, the optional fields the upstream refused and
// claudegpt now leaves out (upstream/refusal_store.h). A check that cannot mean anything after an earlier failure
// (a request without a key) is left out. Secrets never appear in the output.
//
// Blocking: DNS, a TLS handshake, one HTTP request (20 s at most), one child process.
#pragma once

#include <iosfwd>

namespace claudegpt {

class ConfigSources;

// Runs every check, printing to `out`. Returns 0 when none failed (warnings allowed), else 1.
int run_doctor(const ConfigSources& sources, std::ostream& out);

}  // namespace claudegpt
