#pragma once
// The subcommands of the dropperc program. Each add_* registers a subcommand with its options
// on `app` and returns it with the action to run once the command line has been parsed; the
// action returns the process exit code.

#include <functional>

#include <CLI/CLI.hpp>

namespace dropperc::cli {

struct Command {
  CLI::App* app;
  std::function<int()> run;
};

Command add_theory_command(CLI::App& app);
Command add_sample_command(CLI::App& app);
Command add_train_command(CLI::App& app);
Command add_run_command(CLI::App& app);
Command add_status_command(CLI::App& app);
Command add_merge_command(CLI::App& app);
Command add_analyze_command(CLI::App& app);

}  // namespace dropperc::cli
