// dropperc: one program, one subcommand per task. main() only dispatches and turns errors into
// exit codes: 0 success, 2 bad usage (the message names the option and the value), 1 failure.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "commands.hpp"
#include "network_options.hpp"

int main(int argc, char** argv) {
  using namespace dropperc::cli;
  CLI::App app{"dropperc: Monte Carlo studies of dropout seen as percolation"};
  app.require_subcommand(1);
  const Command commands[] = {add_theory_command(app), add_sample_command(app)};
  try {
    app.parse(argc, argv);
    for (const Command& command : commands) {
      if (command.app->parsed()) return command.run();
    }
    return 2;  // unreachable: require_subcommand(1)
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "dropperc: error: %s\nRun with --help for usage.\n", e.what());
    return 2;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "dropperc: error: %s\nRun with --help for usage.\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dropperc: failed: %s\n", e.what());
    return 1;
  }
}
