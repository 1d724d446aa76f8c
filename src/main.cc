// claudegpt: Claude Code on OpenAI's GPT-5 models.
#include <cstdio>
#include <exception>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "config/settings.h"
#include "server/http_server.h"
#include "support/log.h"

namespace {

int serve(claudegpt::Settings settings) {
  claudegpt::HttpServer server(settings);
  unsigned short port = server.listen(settings.host, static_cast<unsigned short>(settings.port));
  // Scripts and the launcher read this line to find the port (with --port 0).
  bool ipv6 = settings.host.find(':') != std::string::npos;
  std::printf("listening on http://%s%s%s:%u\n", ipv6 ? "[" : "", settings.host.c_str(), ipv6 ? "]" : "", port);
  std::fflush(stdout);
  claudegpt::log_info("claudegpt ", CLAUDEGPT_VERSION, " serving ", settings.provider, " on ",
                      settings.host, ":", port);
  if (settings.provider == "openai" && settings.openai_api_key.empty())
    claudegpt::log_warn("OPENAI_API_KEY is not set: the upstream will refuse requests (401)");
  if (settings.provider == "codex" && !std::filesystem::exists(settings.codex_auth_file))
    claudegpt::log_warn("no Codex login at ", settings.codex_auth_file, ": run `codex login` first");
  if (settings.provider == "azure" && settings.azure_api_key.empty() && settings.azure_ad_token.empty())
    claudegpt::log_warn("neither AZURE_OPENAI_API_KEY nor AZURE_OPENAI_AD_TOKEN is set: the upstream will refuse requests (401)");
  server.run();
  claudegpt::log_info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"claudegpt: Claude Code on OpenAI GPT-5 models through the Responses API"};
  app.set_version_flag("--version", std::string("claudegpt ") + CLAUDEGPT_VERSION);
  app.require_subcommand(1);

  std::string host;
  int port = -1;
  auto* serve_cmd = app.add_subcommand("serve", "Run the Anthropic-compatible proxy in the foreground");
  serve_cmd->add_option("--host", host, "Address to bind (default 127.0.0.1, or CLAUDEGPT_HOST)");
  serve_cmd->add_option("--port", port, "Port (default 3210, or CLAUDEGPT_PORT; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));

  CLI11_PARSE(app, argc, argv);
  try {
    auto settings = claudegpt::Settings::from_environment();
    if (!host.empty()) settings.host = host;
    if (port >= 0) settings.port = port;
    if (serve_cmd->parsed()) return serve(std::move(settings));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "claudegpt: %s\n", error.what());
    return 2;
  }
  return 0;
}
