// dropperc: one program, one subcommand per task. main() only dispatches and turns errors into
// exit codes: 0 success, 1 failure, 2 bad usage (the message names the option and the value),
// 3 stopped (resumable) or unfinished, 4 training diverged (README, "Exit codes").

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

#include "commands.hpp"
#include "network_options.hpp"
#include <CLI/CLI.hpp>

#include "dropperc/io/provenance.hpp"

int main(int argc, char** argv) {
  using namespace dropperc::cli;
  CLI::App app{"dropperc: Monte Carlo studies of dropout seen as percolation"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dropperc " + std::string(dropperc::kVersion) +
                                        " (git revision " + std::string(dropperc::git_revision()) +
                                        ")");
  const Command commands[] = {add_theory_command(app), add_sample_command(app),
                              add_train_command(app),  add_run_command(app),
                              add_status_command(app), add_merge_command(app),
                              add_analyze_command(app)};
  try {
    // CLI11 would only say that a subcommand is required; name the word it did not know.
    if (argc > 1 && argv[1][0] != '-') {
      const std::string word = argv[1];
      const bool known =
          std::ranges::any_of(commands, [&](const Command& c) { return c.app->check_name(word); });
      if (!known) {
        std::string expected;
        for (std::size_t c = 0; c < std::size(commands); ++c) {
          expected += (c == 0                         ? ""
                       : c + 1 == std::size(commands) ? " or "
                                                      : ", ") +
                      commands[c].app->get_name();
        }
        throw UsageError("unknown subcommand '" + word + "' (expected " + expected + ")");
      }
    }
    app.parse(argc, argv);
    for (const Command& command : commands) {
      if (command.app->parsed()) return command.run();
    }
    return 2;  // unreachable: require_subcommand(1)
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "dropperc: error: %s\nRun with --help for usage.\n", e.what());
    return 2;
  } catch (const dropperc::BudgetError& e) {
    std::fprintf(stderr, "dropperc: error: %s\n", e.what());
    return 2;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "dropperc: error: %s\nRun with --help for usage.\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dropperc: failed: %s\n", e.what());
    return 1;
  }
}
