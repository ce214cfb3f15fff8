// The dropperc program as users run it: exit codes, error messages, output formats.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dropperc/io/h5.hpp"
#include "dropperc/io/provenance.hpp"

std::string write_lattice_job(const std::filesystem::path& dir, const std::string& name,
                              const std::string& q);

namespace {

struct Outcome {
  int exit_code;
  std::string out;
  std::string err;
};

Outcome run(const std::string& arguments) {
  // One file per process: ctest runs the tests of this program in parallel processes.
  const std::string err_file =
      ::testing::TempDir() + "dropperc_cli_stderr_" + std::to_string(getpid()) + ".txt";
  const std::string command = std::string(DROPPERC_EXECUTABLE) + " " + arguments + " 2>" + err_file;
  Outcome result{-1, {}, {}};
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    result.out.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_file);
  result.err.assign(std::istreambuf_iterator<char>(err), {});
  return result;
}

// CSV output as one map per row, keyed by the header.
std::vector<std::map<std::string, std::string>> parse_csv(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  auto split = [](const std::string& l) {  // RFC 4180 quotes, no line breaks in cells
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (std::size_t i = 0; i < l.size(); ++i) {
      if (quoted && l[i] == '"' && i + 1 < l.size() && l[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (l[i] == '"') {
        quoted = !quoted;
      } else if (l[i] == ',' && !quoted) {
        cells.emplace_back();
      } else {
        cells.back() += l[i];
      }
    }
    return cells;
  };
  if (std::getline(in, line)) header = split(line);
  while (std::getline(in, line)) {
    const auto cells = split(line);
    EXPECT_EQ(cells.size(), header.size()) << line;
    std::map<std::string, std::string> row;
    for (std::size_t c = 0; c < std::min(cells.size(), header.size()); ++c)
      row[header[c]] = cells[c];
    rows.push_back(row);
  }
  return rows;
}

double value(const std::map<std::string, std::string>& row, const std::string& column) {
  const auto it = row.find(column);
  if (it == row.end()) {
    ADD_FAILURE() << "no column " << column;
    return std::nan("");
  }
  return std::stod(it->second);
}

const char* kOracleNetwork = "--model bond --width 4 --depth 6 --input-width 1 --output-width 1";

TEST(Cli, TheoryPrintsExactTheta) {
  const Outcome r = run(std::string("theory ") + kOracleNetwork + " --p 0.75 --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = parse_csv(r.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NEAR(value(rows[0], "theta"), 0.10151244249530, 1e-13);
  EXPECT_NEAR(value(rows[0], "one_minus_theta"), 1 - 0.10151244249530, 1e-13);
  EXPECT_EQ(value(rows[0], "p"), 0.75);
  const Outcome text = run("theory --model bond --width 8 --depth 100 --p 0.5");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("one_minus_theta"), std::string::npos);
  EXPECT_NE(text.out.find("p_half"), std::string::npos);
}

// --solve: the p or the largest depth at a level of theta, one row with theta there; levels
// outside (0, 1), other keys, a --p when solving for p, or a level never reached are refused.
TEST(Cli, TheorySolvesForPAndForDepth) {
  const std::string bond = "theory --model bond --width 8 --depth 16 ";
  const Outcome half = run(bond + "--solve theta=0.5 --format csv");
  ASSERT_EQ(half.exit_code, 0) << half.err;
  const auto rows = parse_csv(half.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NEAR(value(rows[0], "theta"), 0.5, 1e-12);
  const Outcome text = run(bond + "--solve theta=0.5");
  const std::size_t at = text.out.find("p_half = ");
  ASSERT_NE(at, std::string::npos) << text.out;
  EXPECT_NEAR(value(rows[0], "p"), std::stod(text.out.substr(at + 9)), 1e-11);
  const Outcome rare = run(bond + "--solve one_minus_theta=1e-9 --format csv");
  ASSERT_EQ(rare.exit_code, 0) << rare.err;
  EXPECT_NEAR(value(parse_csv(rare.out)[0], "one_minus_theta") / 1e-9, 1.0, 1e-6);
  const Outcome depth = run(bond + "--p 0.85 --solve theta=0.9 --for depth --format csv");
  ASSERT_EQ(depth.exit_code, 0) << depth.err;
  const auto depth_row = parse_csv(depth.out).at(0);
  const int l = static_cast<int>(value(depth_row, "depth"));
  EXPECT_GE(value(depth_row, "theta"), 0.9);
  ASSERT_LT(l, 16);  // one more layer falls below the level
  const Outcome deeper = run("theory --model bond --width 8 --depth " + std::to_string(l + 1) +
                             " --p 0.85 --format csv");
  EXPECT_LT(value(parse_csv(deeper.out).at(0), "theta"), 0.9);
  const Outcome capped = run(bond + "--p 0.1 --solve theta=0.9 --for depth --format csv");
  EXPECT_EQ(capped.exit_code, 0);
  EXPECT_NE(capped.err.find("at least 16"), std::string::npos) << capped.err;
  for (const auto& [arguments, fragment] : std::vector<std::pair<std::string, std::string>>{
           {bond + "--solve theta=1.5", "theta=1.5"},
           {bond + "--solve theta=0", "(0, 1)"},
           {bond + "--solve theta=nan", "nan"},
           {bond + "--solve p=0.5", "p=0.5"},
           {bond + "--solve theta=0.5 --p 0.3", "--p"},
           {bond + "--solve theta=0.5 --for q", "--for"},
           {bond + "--solve theta=0.5 --for depth --p-grid 0:1:3", "--p-grid"},
           {bond + "--solve theta=0.5 --for depth --p 0.3 --output-width 2", "W_out"},
           {bond + "--solve theta=0.5 --profile", "--profile"},
           {bond + "--p 0.5 --for depth", "--solve"},
           {"theory --model site+bond --width 2 --depth 16 --p-bond 0.5 --solve theta=0.99",
            "does not reach"},
       }) {
    const Outcome r = run(arguments);
    EXPECT_EQ(r.exit_code, 2) << arguments << "\n" << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << arguments << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << arguments << "\n" << r.out;
  }
}

// --widths lists the hidden layers: theory and sample take it, a list of equal widths prints what
// --width/--depth print, and a bad list is refused naming the field.
TEST(Cli, TheoryAndSampleTakePerLayerWidths) {
  const Outcome cut =
      run("theory --model site --widths 3,1,4 --input-width 2 --p 0.6 --format csv");
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  const double expected = (1 - std::pow(0.6, 3)) * (1 - 0.6) * (1 - std::pow(0.6, 4));
  EXPECT_NEAR(value(parse_csv(cut.out).at(0), "theta") / expected, 1.0, 1e-14);
  EXPECT_EQ(run("theory --model bond --widths 5,5,5 --p-grid 0:1:5").out,
            run("theory --model bond --width 5 --depth 3 --p-grid 0:1:5").out);
  const Outcome sampled =
      run("sample --model bond --widths 6,3,6 --p 0.6 --samples 20000 --seed 3 --format csv");
  ASSERT_EQ(sampled.exit_code, 0) << sampled.err;
  const double theta = value(parse_csv(run("theory --model bond --widths 6,3,6 --p 0.6 "
                                           "--format csv")
                                           .out)
                                 .at(0),
                             "theta");
  EXPECT_NEAR(value(parse_csv(sampled.out).at(0), "theta"), theta,
              4 * std::sqrt(theta * (1 - theta) / 20000));
  for (const auto& [arguments, fragment] : std::vector<std::pair<std::string, std::string>>{
           {"--widths 8,x", "'x' in '8,x'"},
           {"--widths 8,,4", "'' in '8,,4'"},
           {"--widths 0", "'0'"},
           {"--widths 99999999999", "'99999999999'"},
           {"--widths 8,4 --width 8", "--widths"},
           {"--widths 8,4 --input-width 0", "--input-width"},
           {"--widths 8,4 --solve theta=0.5 --for depth", "--widths"},
       }) {
    const Outcome r = run("theory --model bond --p 0.5 " + arguments);
    EXPECT_EQ(r.exit_code, 2) << arguments << "\n" << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << arguments << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << arguments << "\n" << r.out;
  }
}

// --input-dropout multiplies site theta by 1 - P^W_in at every p of a grid, and is range-checked.
TEST(Cli, InputDropoutIsHeldFixedAlongTheGrid) {
  const Outcome r =
      run("theory --model site --width 2 --depth 1 --input-width 1 --input-dropout 0.5 --p-grid "
          "0.2:0.6:3 --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = parse_csv(r.out);
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    const double p = value(row, "p");
    EXPECT_NEAR(value(row, "theta"), 0.5 * (1 - p * p), 1e-15) << p;
  }
  for (const std::string bad : {"nan", "1.5", "-0.1"}) {
    const Outcome refused =
        run("theory --model bond --width 2 --depth 2 --p 0.5 --input-dropout " + bad);
    EXPECT_EQ(refused.exit_code, 2) << bad;
    EXPECT_NE(refused.err.find("--input-dropout"), std::string::npos) << refused.err;
  }
}

// --p-units and --p-weights give a drop probability per layer: the site closed form with each
// layer's p, the bond chain matched by sampling; wrong counts, models and values exit 2.
TEST(Cli, PerLayerDropProbabilities) {
  const Outcome site = run(
      "theory --model site --widths 4,3,5 --input-width 3 --output-width 2 --p-units 0.2,0.7,0.45 "
      "--format csv");
  ASSERT_EQ(site.exit_code, 0) << site.err;
  const double exact = (1 - std::pow(0.2, 4)) * (1 - std::pow(0.7, 3)) * (1 - std::pow(0.45, 5));
  EXPECT_NEAR(value(parse_csv(site.out)[0], "theta"), exact, 1e-14);
  const std::string bond = "--model bond --width 3 --depth 2 --p-weights 0.1,0.6,0.35 --format csv";
  const Outcome theory = run("theory " + bond);
  const Outcome sample = run("sample " + bond + " --samples 20000 --seed 4");
  ASSERT_EQ(theory.exit_code, 0) << theory.err;
  ASSERT_EQ(sample.exit_code, 0) << sample.err;
  const double theta = value(parse_csv(theory.out)[0], "theta");
  EXPECT_NEAR(value(parse_csv(sample.out)[0], "theta"), theta,
              4 * std::sqrt(theta * (1 - theta) / 20000));
  for (const auto& [options, message] : std::vector<std::pair<std::string, std::string>>{
           {"--model site --width 3 --depth 2 --p-units 0.5",
            "--p-units: 1 unit drop probabilities "
            "for a network of 2 hidden layers"},
           {"--model bond --width 3 --depth 2 --p-weights 0.5,0.5", "--p-weights: 2 weight drop"},
           {"--model bond --width 3 --depth 2 --p-units 0.5,0.5", "the bond model drops no units"},
           {"--model site --width 3 --depth 2 --p-units 0.5,nan",
            "'nan' in '0.5,nan' is not a drop"},
           {"--model site --width 3 --depth 2 --p-units 0.5,0.5 --p 0.3", "give no --p"}}) {
    const Outcome refused = run("theory " + options);
    EXPECT_EQ(refused.exit_code, 2) << options;
    EXPECT_NE(refused.err.find(message), std::string::npos) << refused.err;
  }
}

// --depth-grid scans L as --p-grid scans p: a row per (depth, p), site rows the closed form
// (1 - p^W)^L; repeated or impossible depths exit 2.
TEST(Cli, TheoryScansTheDepth) {
  const Outcome r =
      run("theory --model site --width 4 --depth-grid 8,2,32 --p-grid 0.5:0.7:2 --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = parse_csv(r.out);
  ASSERT_EQ(rows.size(), 6u);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const double depth = value(rows[k], "depth"), p = value(rows[k], "p");
    EXPECT_EQ(depth, (std::vector<double>{2, 2, 8, 8, 32, 32})[k]);
    EXPECT_NEAR(value(rows[k], "theta"), std::pow(1 - std::pow(p, 4), depth), 1e-14);
  }
  for (const std::string bad : {"1:3:5", "0,2", "3:1:2", "1:x:3"}) {
    const Outcome refused = run("theory --model site --width 4 --p 0.5 --depth-grid " + bad);
    EXPECT_EQ(refused.exit_code, 2) << bad;
    EXPECT_NE(refused.err.find("--depth-grid: "), std::string::npos) << refused.err;
  }
}

TEST(Cli, TheoryGridHasOneRowPerPoint) {
  const Outcome r =
      run("theory --model site+bond --width 3 --depth 4 --p-grid 0:1:11 --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = parse_csv(r.out);
  ASSERT_EQ(rows.size(), 11u);
  EXPECT_EQ(value(rows.front(), "theta"), 1.0);
  EXPECT_EQ(value(rows.back(), "theta"), 0.0);
  EXPECT_NEAR(value(rows[3], "p_site"), 0.3, 1e-15);
  EXPECT_NEAR(value(rows[3], "p_bond"), 0.3, 1e-15);
  const Outcome fixed =
      run("theory --model site+bond --width 3 --depth 4 --p-site 0.2 --p-grid 0:1:5 --format csv");
  ASSERT_EQ(fixed.exit_code, 0) << fixed.err;
  for (const auto& row : parse_csv(fixed.out))
    EXPECT_EQ(value(row, "p_site"), 0.2);
}

TEST(Cli, TheoryProfileListsEveryLayer) {
  const Outcome r =
      run(std::string("theory ") + kOracleNetwork + " --p 0.75 --profile --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = parse_csv(r.out);
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(value(rows[0], "expected_reachable"), 1.0);
}

// Every method prints the required columns; the exact theta lies within 5 standard errors.
TEST(Cli, SampleCsvHasRequiredColumnsForEveryMethod) {
  for (std::string method : {"masks", "thresholds", "fast"}) {
    const Outcome r =
        run(std::string("sample ") + kOracleNetwork +
            " --p-grid 0.55:0.95:3 --samples 4000 --seed 3 --format csv --method " + method);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto rows = parse_csv(r.out);
    ASSERT_EQ(rows.size(), 3u) << method;
    for (const auto& row : rows) {
      for (std::string column :
           {"p", "theta", "theta_low", "theta_high", "extinction_depth", "reachable_fraction",
            "backbone_weight_fraction", "largest_cluster", "theta_undirected",
            "mean_other_cluster_size"}) {
        EXPECT_TRUE(row.count(column)) << method << " lacks " << column;
      }
      EXPECT_LE(value(row, "theta_low"), value(row, "theta"));
      EXPECT_LE(value(row, "theta"), value(row, "theta_high"));
      EXPECT_EQ(std::isnan(value(row, "largest_cluster")), method == "fast");
    }
    EXPECT_NEAR(value(rows[2], "p"), 0.95, 1e-15);
    EXPECT_NEAR(value(rows[1], "theta"), 0.10151244249530, 5 * std::sqrt(0.1015 * 0.8985 / 4000));
  }
}

// Fast leaves the reachable chain out unless asked; names it does not know or cannot measure are
// refused with exit code 2.
TEST(Cli, SampleObservablesChooseWhatIsDrawn) {
  const std::string command = std::string("sample ") + kOracleNetwork +
                              " --p 0.75 --samples 500 --method fast --format csv";
  const auto plain = parse_csv(run(command).out);
  const auto asked = parse_csv(run(command + " --observables reachable_fraction").out);
  ASSERT_EQ(plain.size(), 1u);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_TRUE(std::isnan(value(plain[0], "reachable_fraction")));
  EXPECT_FALSE(std::isnan(value(asked[0], "reachable_fraction")));
  EXPECT_EQ(value(plain[0], "theta"), value(asked[0], "theta"));
  const Outcome unknown = run(command + " --observables thet");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown observable 'thet'"), std::string::npos) << unknown.err;
  const Outcome unmeasured = run(command + " --observables largest_cluster");
  EXPECT_EQ(unmeasured.exit_code, 2);
  EXPECT_NE(unmeasured.err.find("does not measure largest_cluster"), std::string::npos);
}

// A local network is one command away: exact theta from the transfer matrix, and options that
// do not fit it refused with exit code 2.
TEST(Cli, TheoryOfLocalAndResidualNetworks) {
  const std::string local =
      "theory --model bond --width 4 --depth 3 --input-width 1 --connectivity local --kernel 2";
  const Outcome r = run(local + " --p 0.4 --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = parse_csv(r.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_GT(value(rows[0], "theta"), 0.0);
  EXPECT_LT(value(rows[0], "theta"), 1.0);
  const Outcome kept =
      run("theory --model bond --width 3 --depth 3 --residual 2 --residual-dropout false --p 0.9 "
          "--format csv");
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_EQ(value(parse_csv(kept.out)[0], "theta"), 1.0);
  for (const std::string& bad : std::vector<std::string>{
           local + " --p 0.4 --profile", local + " --p 0.4 --boundary twisted",
           "theory --model bond --width 4 --depth 3 --kernel 2 --p 0.4",
           "theory --model bond --width 4 --depth 3 --residual 9 --p 0.4",
           "theory --model bond --width 40 --depth 3 --connectivity local --kernel 2 --p 0.4"}) {
    const Outcome refused = run(bad);
    EXPECT_EQ(refused.exit_code, 2) << bad << "\n" << refused.err;
  }
}

TEST(Cli, SampleTextReportsIntervalAndMeans) {
  const Outcome r =
      run("sample --model bond --width 8 --depth 100 --p 0.5 --samples 2000 --seed 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("95% CI"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("backbone_weight_fraction"), std::string::npos) << r.out;
}

TEST(Cli, SameSeedSameOutputOtherSeedOther) {
  const std::string command =
      "sample --model site --width 3 --depth 5 --p 0.5 --samples 500 --format csv";
  const Outcome a = run(command + " --seed 7"), b = run(command + " --seed 7"),
                c = run(command + " --seed 8");
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
}

TEST(Cli, HelpOnEverySubcommand) {
  for (std::string command : {"--help", "theory --help", "sample --help", "train --help"}) {
    const Outcome r = run(command);
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_NE(r.out.find("--"), std::string::npos) << command;
  }
}

// Bad arguments: exit code 2 and a message naming the option and the bad value.
TEST(Cli, BadArgumentsExitWithTwoAndNameTheOption) {
  struct Case {
    std::string arguments;
    std::vector<std::string> message;
  };
  const std::string net = "--width 4 --depth 3 --model bond";
  for (const Case& c : std::vector<Case>{
           {"theory --width -3 --depth 3 --model bond --p 0.5", {"--width", "-3"}},
           {"theory --width 4 --depth 0 --model bond --p 0.5", {"--depth", "0"}},
           {"theory --width 4 --depth 3 --model bond --p 1.5", {"--p", "1.5"}},
           {"theory --width 4 --depth 3 --model bond --p -0.1", {"--p", "-0.1"}},
           {"theory --width 4 --depth 3 --model dropout --p 0.5", {"--model", "dropout"}},
           {"theory " + net + " --p-grid 0:1:1", {"--p-grid", "1"}},
           {"theory " + net + " --p-grid 0:1", {"--p-grid", "0:1"}},
           {"theory " + net + " --p-grid 0:x:5", {"--p-grid", "x"}},
           {"theory " + net + " --p-grid 0.9:0.1:5", {"--p-grid", "0.9:0.1:5"}},
           {"theory " + net + " --input-width 0 --p 0.5", {"--input-width", "0"}},
           {"theory " + net + " --p-bond 0.5", {"--p-bond"}},
           {"theory " + net, {"--p"}},
           {"theory --width 4 --depth 3 --p 0.5", {"--model"}},
           {"theory --width four --depth 3 --model bond --p 0.5", {"--width", "four"}},
           {"sample " + net + " --p 0.5 --method exact", {"--method", "exact"}},
           {"sample " + net + " --p 0.5 --samples 0", {"--samples", "0"}},
           {"sample " + net + " --p 0.5 --seed -1", {"--seed", "-1"}},
           {"sample " + net + " --p 0.5 --format xml", {"--format", "xml"}},
           {"sample --width 4096 --depth 4096 --model bond --p 0.5 --method thresholds",
            {"--method", "thresholds", "fast"}},
           {"explode", {"explode"}},
           {"train " + net + " --p 0.5 --activation sigmoid", {"--activation", "sigmoid"}},
           {"train " + net + " --p-grid 0:1:3", {"--p-grid"}},
           {"train " + net + " --p 0.5 --lr -1", {"--lr", "-1"}},
           {"train " + net + " --p 0.5 --bias maybe", {"--bias", "maybe"}},
           {"train " + net + " --p 0.5 --dataset /nonexistent/data.h5", {"--dataset", "data.h5"}},
           {"train " + net + " --p 0.5 --resume", {"--resume", "--out"}},
       }) {
    const Outcome r = run(c.arguments);
    EXPECT_EQ(r.exit_code, 2) << c.arguments << "\n" << r.err;
    for (const std::string& word : c.message) {
      EXPECT_NE(r.err.find(word), std::string::npos) << c.arguments << "\nstderr: " << r.err;
    }
    EXPECT_TRUE(r.out.empty()) << c.arguments;
  }
}

// Floating options are finite and within their range, seeds whole numbers in [0, 2^64): anything
// else exits with 2, naming the option and the value (not aliased, not accepted).
TEST(Cli, NonFiniteOrOutOfRangeNumbersAreRefused) {
  const std::string net = "--width 4 --depth 3 --model bond";
  const std::string train = "train " + net + " --p 0.5 --steps 5 ";
  const std::string too_big = "18446744073709551616";
  for (const auto& [arguments, option, bad] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"theory " + net + " --p nan", "--p", "nan"},
           {"theory " + net + " --p inf", "--p", "inf"},
           {"theory --width 4 --depth 3 --model site+bond --p-site nan --p-grid 0:1:3", "--p-site",
            "nan"},
           {"theory " + net + " --p-grid 0:nan:3", "--p-grid", "nan"},
           {"theory " + net + " --p-grid inf:1:3", "--p-grid", "inf"},
           {"theory " + net + " --p-grid 0:1:nan", "--p-grid", "nan"},
           {"theory " + net + " --p-grid 0:1:1e300", "--p-grid", "1e300"},
           {"theory --width 4 --depth 2147483646 --model bond --p 0.5", "--depth", "2147483646"},
           {"sample " + net + " --p nan", "--p", "nan"},
           {"sample " + net + " --p 0.5 --seed " + too_big, "--seed", too_big},
           {"sample " + net + " --p 0.5 --seed 1e3", "--seed", "1e3"},
           {train + "--seed " + too_big, "--seed", too_big},
           {train + "--seed -1", "--seed", "-1"},
           {train + "--task regression --noise nan", "--noise", "nan"},
           {train + "--task regression --noise inf", "--noise", "inf"},
           {train + "--task regression --noise -1", "--noise", "-1"},
           {train + "--target-loss nan", "--target-loss", "nan"},
           {train + "--target-loss -inf", "--target-loss", "-inf"},
           {train + "--lr nan", "--lr", "nan"},
           {train + "--lr inf", "--lr", "inf"},
           {train + "--momentum nan", "--momentum", "nan"},
           {train + "--momentum 1", "--momentum", "1"},
           {train + "--input-dropout nan", "--input-dropout", "nan"},
           {train + "--test-fraction nan", "--test-fraction", "nan"},
           {"train " + net + " --p nan", "--p", "nan"},
       }) {
    const Outcome r = run(arguments);
    EXPECT_EQ(r.exit_code, 2) << arguments << "\n" << r.err;
    EXPECT_NE(r.err.find(option + ": "), std::string::npos) << arguments << "\n" << r.err;
    EXPECT_NE(r.err.find(bad), std::string::npos) << arguments << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << arguments;
  }
  // The largest seed is a seed.
  EXPECT_EQ(run("sample " + net + " --p 0.5 --samples 10 --seed 18446744073709551615").exit_code,
            0);
}

// --version names the version and the git revision the program was built from.
TEST(Cli, VersionNamesTheGitRevision) {
  const Outcome r = run("--version");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dropperc " + std::string(dropperc::kVersion)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::string(dropperc::git_revision())), std::string::npos) << r.out;
}

// An unknown subcommand: the message lists every command the program has.
TEST(Cli, UnknownSubcommandListsEveryCommand) {
  const Outcome r = run("explode");
  EXPECT_EQ(r.exit_code, 2);
  for (const char* command : {"theory", "sample", "train", "run", "status", "merge", "analyze"})
    EXPECT_NE(r.err.find(command), std::string::npos) << command << " not in: " << r.err;
}

// Numbers print as floats, never as "-0" and never as bare integers (a theta column of 0s and
// 1s would be typed as integers by pandas): theta = 1 at p = 0 and 0 at p = 1.
TEST(Cli, TablesPrintFloatsAsFloats) {
  const std::string net = "--model site --width 3 --depth 4 --p-grid 0:1:3 --format csv";
  for (const std::string& command :
       {"theory " + net, "sample " + net + " --samples 20 --method masks"}) {
    const Outcome r = run(command);
    ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.err;
    const auto rows = parse_csv(r.out);
    ASSERT_EQ(rows.size(), 3u) << r.out;
    EXPECT_EQ(rows.front().at("theta"), "1.0") << command;
    EXPECT_EQ(rows.back().at("theta"), "0.0") << command;
    for (const auto& row : rows) {
      for (const auto& [column, cell] : row) {
        if (column == "samples") continue;  // a count
        EXPECT_NE(cell.find_first_of(".ena"), std::string::npos)
            << command << ": " << column << " = " << cell;
        EXPECT_NE(cell.rfind("-0", 0) == 0 && std::stod(cell) == 0.0, true)
            << command << ": " << column << " = " << cell;
      }
    }
  }
}

// Work this machine cannot hold is refused before it starts, quickly (nothing allocated, nothing
// run), with exit 2 and a message giving the estimate, the limit and the option that raises it.
TEST(Cli, WorkBeyondTheMachineIsRefusedBeforeItStarts) {
  const std::filesystem::path dir = ::testing::TempDir() + "dropperc_cli_budget";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string huge = "--model bond --width 1000000 --depth 1000000 --p 0.5";
  // 10^12 samples of a W = 64, L = 64 network; and training replicas whose masks need 10^13 bytes.
  const std::string samples_job = (dir / "samples.toml").string();
  std::ofstream(samples_job) << "[job]\nname = \"samples\"\noutput = \"out\"\n[grid]\n"
                             << "models = [\"bond\"]\nwidths = [64]\ndepths = [64]\np = [0.3]\n"
                             << "[percolation]\nsamples = 1000000000000\nblock = 1000000\n";
  const std::string memory_job = (dir / "memory.toml").string();
  std::ofstream(memory_job) << "[job]\nname = \"memory\"\noutput = \"out\"\n[grid]\n"
                            << "models = [\"bond\"]\nwidths = [30000]\ndepths = [11]\n"
                            << "p = [0.3]\n[training]\nsteps = 10\nbatch = 10000\n"
                            << "[training.teacher]\nfeatures = 4\noutputs = 2\n";
  // A teacher of 3 x 50000^2 weights, 60 GB.
  const std::string teacher_job = (dir / "teacher.toml").string();
  std::ofstream(teacher_job) << "[job]\nname = \"teacher\"\noutput = \"out\"\n[grid]\n"
                             << "models = [\"bond\"]\nwidths = [4]\ndepths = [1]\np = [0.3]\n"
                             << "[training]\nsteps = 10\n[training.teacher]\nwidth = 50000\n"
                             << "depth = 4\n";
  for (const auto& [arguments, option] : std::vector<std::pair<std::string, std::string>>{
           {"theory " + huge, "--max-memory"},
           {"theory " + huge + " --format csv", "--max-memory"},
           {"sample " + huge + " --method fast", "--max-memory"},
           {"sample --model bond --width 4 --depth 3 --p 0.5 --samples 1000000000000",
            "--max-hours"},
           {"train --model bond --width 8 --depth 2 --p 0.5 --train-size 100000000000",
            "--max-memory"},
           {"train --model bond --width 512 --depth 4 --p 0.5 --batch 256 --steps 1000000000",
            "--max-hours"},
           // Beyond 16 GB (not every machine's memory): an 80 GB teacher, 176 GB of records.
           {"train --model bond --width 8 --depth 2 --p 0.5 --teacher-width 100000 "
            "--teacher-depth 2 --max-memory 16",
            "--max-memory"},
           {"train --model bond --width 1 --depth 1 --p 0.5 --steps 1000000000 --max-memory 16",
            "--max-memory"},
           {"status " + teacher_job + " --max-memory 16", "--max-memory"},
           // 2 x 10^9 layers: 32 GB of reachable profiles, in theory and in solving for depth.
           {"theory --model bond --width 1 --depth 2000000000 --p 0.5 --max-memory 16",
            "--max-memory"},
           {"theory --model bond --width 1 --depth 2000000000 --p 0.5 --solve theta=0.5 --for "
            "depth --max-memory 16",
            "--max-memory"},
           {"run " + samples_job, "--max-hours"},
           {"status " + samples_job, "--max-hours"},
           {"run " + memory_job, "--max-memory"},
           {"status " + memory_job, "--max-memory"},
       }) {
    const auto start = std::chrono::steady_clock::now();
    const Outcome r = run(arguments);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(r.exit_code, 2) << arguments << "\n" << r.err;
    EXPECT_NE(r.err.find("needs about"), std::string::npos) << arguments << "\n" << r.err;
    EXPECT_NE(r.err.find("more than the limit of"), std::string::npos) << arguments << r.err;
    EXPECT_NE(r.err.find(option), std::string::npos) << arguments << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << arguments;
    EXPECT_LT(seconds, 10.0) << arguments;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
  // The options move the limits: a modest case refused under a tiny limit passes with the
  // default or a raised one.
  const std::string modest = "sample --model bond --width 4 --depth 3 --p 0.5 --samples 1000";
  const Outcome tiny = run(modest + " --max-hours 1e-12");
  EXPECT_EQ(tiny.exit_code, 2) << tiny.err;
  EXPECT_NE(tiny.err.find("limit of 1e-12"), std::string::npos) << tiny.err;
  EXPECT_EQ(run(modest).exit_code, 0);
  EXPECT_EQ(run(modest + " --max-hours 1").exit_code, 0);
  const std::string theory = "theory --model bond --width 100 --depth 100 --p 0.5";
  EXPECT_EQ(run(theory + " --max-memory 1e-6").exit_code, 2);
  EXPECT_EQ(run(theory + " --max-memory 1").exit_code, 0);
  EXPECT_EQ(run(theory + " --max-memory nan").exit_code, 2);
  const std::string job = write_lattice_job(dir / "lattice", "lattice", "0.5");
  EXPECT_EQ(run("status " + job + " --max-hours 1e-15").exit_code, 2);
  EXPECT_EQ(run("run " + job + " --quiet --max-hours 1e-15").exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir / "lattice" / "out"));
  EXPECT_EQ(run("run " + job + " --quiet").exit_code, 0);
  // The time limit holds the work left: a finished job is not refused for the work it has done.
  EXPECT_EQ(run("status " + job + " --max-hours 1e-15").exit_code, 0);
  EXPECT_EQ(run("run " + job + " --quiet --max-hours 1e-15").exit_code, 0);
}

// Every bad job of the corpus (tests/data/bad-jobs, whose first lines name the expected message
// fragments) stops run, status and merge with exit 2 and its message, before anything is written.
TEST(Cli, EveryBadJobExitsWithTwoAndWritesNothing) {
  const std::filesystem::path output = ::testing::TempDir() + "dropperc_cli_bad_job_output";
  std::filesystem::remove_all(output);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::filesystem::path(DROPPERC_SOURCE_DIR) / "tests/data/bad-jobs")) {
    ++files;
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    std::vector<std::string> fragments{entry.path().filename().string() + ":"};
    std::istringstream expected(first.substr(first.find(':') + 1));
    for (std::string fragment; std::getline(expected, fragment, '|');) {
      fragment.erase(0, fragment.find_first_not_of(' '));
      fragment.erase(fragment.find_last_not_of(' ') + 1);
      fragments.push_back(fragment);
    }
    for (const std::string command : {"run", "status", "merge"}) {
      const std::string arguments =
          command + " " + entry.path().string() + " --output " + output.string();
      const Outcome r = run(arguments);
      EXPECT_EQ(r.exit_code, 2) << arguments << "\n" << r.err;
      for (const std::string& fragment : fragments) {
        EXPECT_NE(r.err.find(fragment), std::string::npos)
            << arguments << ": '" << fragment << "' not in: " << r.err;
      }
      EXPECT_FALSE(std::filesystem::exists(output)) << arguments << " wrote " << output;
    }
  }
  EXPECT_GE(files, 25);
}

// --slice I/N needs integers 0 <= I < N; anything else stops run and status with exit 2, naming
// the option and the value, before anything is written.
TEST(Cli, RunAndStatusRefuseABadSlice) {
  const std::string output = ::testing::TempDir() + "dropperc_cli_bad_slice";
  std::filesystem::remove_all(output);
  for (const std::string slice : {"3/3", "-1/3", "1/0", "a/3", "1/3x", "1", "1/", "/3"}) {
    for (const std::string command : {"run", "status"}) {
      const std::string arguments = command + " " DROPPERC_SOURCE_DIR "/jobs/smoke.toml --output " +
                                    output + " --slice " + slice;
      const Outcome r = run(arguments);
      EXPECT_EQ(r.exit_code, 2) << arguments << "\n" << r.err;
      EXPECT_NE(r.err.find("--slice"), std::string::npos) << arguments << "\n" << r.err;
      EXPECT_NE(r.err.find("'" + slice + "'"), std::string::npos) << arguments << "\n" << r.err;
      EXPECT_FALSE(std::filesystem::exists(output)) << arguments << " wrote " << output;
    }
  }
}

// A malformed SLURM_JOB_END_TIME is bad input, not a reason to stop at once (exit 3) forever.
TEST(Cli, RunRefusesAMalformedSlurmEndTime) {
  const std::string output = ::testing::TempDir() + "dropperc_cli_slurm_end_time";
  std::filesystem::remove_all(output);
  setenv("SLURM_JOB_END_TIME", "tomorrow", 1);
  const Outcome r = run("run " DROPPERC_SOURCE_DIR "/jobs/smoke.toml --quiet --output " + output);
  unsetenv("SLURM_JOB_END_TIME");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("SLURM_JOB_END_TIME"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tomorrow"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(output));
}

// analyze: one CSV row per fitted parameter with the documented columns; a file that is not a
// merged job file is bad input (exit 2, naming it).
TEST(Cli, AnalyzePrintsFitsAsCsvAndRefusesBadFiles) {
  const std::string output = ::testing::TempDir() + "dropperc_cli_analyze";
  std::filesystem::remove_all(output);
  ASSERT_EQ(run("run " DROPPERC_SOURCE_DIR "/jobs/smoke.toml --quiet --output " + output).exit_code,
            0);
  const Outcome csv = run("analyze " + output + "/smoke.h5 --resamples 10 --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const auto rows = parse_csv(csv.out);
  ASSERT_FALSE(rows.empty());
  for (const auto& row : rows) {
    for (const char* column : {"fit", "model", "observable", "parameter", "value", "error"})
      EXPECT_EQ(row.count(column), 1u) << column;
  }
  const Outcome text = run("analyze " + output + "/smoke.h5 --resamples 10");
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("p_half"), std::string::npos) << text.out;
  // Smoke's kappa fits go through their two widths (dof = 0): not results, shown apart with
  // their reason (docs/theory.md §10.8), never in the fits table; the CSV says so in columns.
  const auto not_results = text.out.find("Not results:");
  ASSERT_NE(not_results, std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("kappa_bond_directed"), text.out.find("kappa_bond_directed", not_results))
      << text.out;
  EXPECT_NE(text.out.find("dof = 0: 2 points for 2 parameters", not_results), std::string::npos);
  for (const auto& row : rows) {
    if (row.at("fit") != "kappa_bond_directed") continue;
    EXPECT_EQ(row.at("valid"), "0");
    EXPECT_EQ(row.at("reason"), "dof = 0: 2 points for 2 parameters");
    EXPECT_EQ(row.at("family"), "kappa");
    EXPECT_EQ(std::stod(row.at("dof")), 0.0);
  }
  // --export: 'S p theta dtheta' files, S = W at each depth (smoke: widths 2 and 4).
  const Outcome exported =
      run("analyze " + output + "/smoke.h5 --resamples 10 --export " + output + "/curves");
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::ifstream curve(output + "/curves/theta_bond_directed_W_at_L3.txt");
  std::string header;
  ASSERT_TRUE(std::getline(curve, header));
  EXPECT_EQ(header.rfind("# S p theta dtheta", 0), 0u) << header;
  int lines = 0;
  for (double size, p, theta, error; curve >> size >> p >> theta >> error; ++lines) {
    EXPECT_TRUE(size == 2 || size == 4) << size;
    EXPECT_TRUE(theta >= 0 && theta <= 1 && error >= 0 && error < 0.1) << theta << " " << error;
  }
  EXPECT_EQ(lines, 2 * 41);
  const Outcome bad = run("analyze " DROPPERC_SOURCE_DIR "/jobs/smoke.toml");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("smoke.toml"), std::string::npos) << bad.err;
  EXPECT_EQ(run("analyze " + output + "/smoke.h5 --resamples 1").exit_code, 2);
}

// --fix-p-c and --fix-b (docs/cli.md) hold p_c and b in every collapse over p; bad values of them
// and files of an unknown format version are bad input (exit 2, naming them).
TEST(Cli, AnalyzeFixesCollapseParametersAndRefusesOtherFormatVersions) {
  const std::string output = ::testing::TempDir() + "dropperc_cli_analyze_fixed";
  std::filesystem::remove_all(output);
  std::filesystem::create_directories(output);
  std::ofstream(output + "/fixed.toml") << R"([job]
name = "fixed"
seed = 3
[grid]
models = ["site"]
widths = [2, 3, 4]
depths = [4]
p = [0.5]
[percolation]
method = "fast"
undirected = false
samples = 400
thresholds = true
)";
  ASSERT_EQ(run("run " + output + "/fixed.toml --quiet --output " + output).exit_code, 0);
  const std::string file = output + "/fixed.h5";
  for (const auto& [options, p_c, b] :
       {std::tuple<std::string, double, double>{"--fix-b 0.8", NAN, 0.8},
        {"--fix-p-c 0.35", 0.35, NAN},
        {"--fix-p-c 0.35 --fix-b 0.8", 0.35, 0.8}}) {
    const Outcome csv = run("analyze " + file + " --resamples 5 --format csv " + options);
    ASSERT_EQ(csv.exit_code, 0) << options << csv.err;
    int collapses = 0;
    for (const auto& row : parse_csv(csv.out)) {
      if (row.at("fit") != "collapse_site_directed_W_at_L4") continue;
      ++collapses;
      const double fixed = row.at("parameter") == "p_c" ? p_c : b;
      if (std::isnan(fixed)) {
        EXPECT_EQ(row.at("held"), "0") << options << " " << row.at("parameter");
        continue;
      }
      EXPECT_EQ(std::stod(row.at("value")), fixed) << options << " " << row.at("parameter");
      EXPECT_EQ(std::stod(row.at("error")), 0.0) << options << " " << row.at("parameter");
      EXPECT_EQ(row.at("held"), "1") << options << " " << row.at("parameter");
    }
    EXPECT_EQ(collapses, 2) << options;
    // The text says which values were held, not fitted.
    const std::string text = run("analyze " + file + " --resamples 5 " + options).out;
    EXPECT_EQ(text.find("0.35 (held)") != std::string::npos, !std::isnan(p_c)) << text;
    EXPECT_EQ(text.find("0.8 (held)") != std::string::npos, !std::isnan(b)) << text;
  }
  for (const char* bad : {"--fix-p-c 1.5", "--fix-p-c nan", "--fix-b inf", "--fix-b nan"}) {
    const Outcome refused = run("analyze " + file + " " + bad);
    EXPECT_EQ(refused.exit_code, 2) << bad;
    const std::string option(bad);
    EXPECT_NE(refused.err.find(option.substr(0, option.find(' '))), std::string::npos)
        << refused.err;
  }
  {
    dropperc::h5::File f = dropperc::h5::File::open(file, true);
    f.root().set_attribute("dropperc_format_version", std::int64_t{7});
  }
  const Outcome newer = run("analyze " + file);
  EXPECT_EQ(newer.exit_code, 2);
  for (const char* fragment : {"fixed.h5", "dropperc_format_version = 7", "supported: 1"})
    EXPECT_NE(newer.err.find(fragment), std::string::npos) << fragment << ": " << newer.err;
}

// The summary row has the documented columns; a run written with checkpoints ends in the
// same state as one without; --resume refuses other settings and naming them.
TEST(Cli, TrainWritesSummaryAndResumableRuns) {
  const std::string dir = ::testing::TempDir();
  const std::string base =
      "train --width 8 --depth 3 --model bond --p 0.4 --steps 60 --batch 8 "
      "--eval-interval 20 --train-size 256 --test-size 64 --seed 5 ";
  const Outcome plain = run(base + "--format csv --out " + dir + "plain.h5");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const auto rows = parse_csv(plain.out);
  ASSERT_EQ(rows.size(), 1u);
  for (std::string column : {"steps", "final_train_loss", "test_loss", "test_accuracy",
                             "spanning_fraction", "zero_gradient_fraction", "samples_per_second"}) {
    EXPECT_TRUE(rows[0].count(column)) << column;
  }
  EXPECT_EQ(value(rows[0], "steps"), 60);
  const Outcome chunked =
      run(base + "--format csv --checkpoint-every 25 --out " + dir + "chunked.h5");
  ASSERT_EQ(chunked.exit_code, 0) << chunked.err;
  const auto chunked_rows = parse_csv(chunked.out);
  for (std::string column :
       {"final_train_loss", "test_loss", "test_accuracy", "spanning_fraction"}) {
    EXPECT_EQ(chunked_rows[0].at(column), rows[0].at(column)) << column;
  }
  const Outcome again = run(base + "--format csv --resume --out " + dir + "plain.h5");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(parse_csv(again.out)[0].at("test_loss"), rows[0].at("test_loss"));
  const Outcome other = run(base + "--lr 0.1 --resume --out " + dir + "plain.h5");
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("lr: file has 0.05, command line 0.1"), std::string::npos) << other.err;
  const Outcome text = run(base);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("step     60/60"), std::string::npos) << text.out;
}

// A learning rate far too large: train stops at the first step whose loss, gradient or parameters
// are not finite, with exit 4, a message naming the step and --lr, and the step recorded in the
// summary and the --out file.
// train prints the exact theta of its masks beside the fraction that spanned: on a tapered
// network with input dropout, steps x batch masks within 4 sigma of it.
TEST(Cli, TrainPrintsTheExactThetaOfItsMasks) {
  const Outcome r =
      run("train --widths 6,3 --input-width 8 --output-width 2 --input-dropout 0.2 --model site "
          "--p 0.5 --steps 250 --batch 16 --train-size 256 --test-size 64 --seed 3 --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = parse_csv(r.out);
  ASSERT_EQ(rows.size(), 1u);
  const double exact = (1 - std::pow(0.2, 8)) * (1 - std::pow(0.5, 6)) * (1 - std::pow(0.5, 3));
  EXPECT_NEAR(value(rows[0], "theta_exact"), exact, 1e-7);
  EXPECT_NEAR(value(rows[0], "spanning_fraction"), exact,
              4 * std::sqrt(exact * (1 - exact) / (250 * 16)));
}

// A residual MLP (skips every 2 layers): theta_exact is theory's (the block chain), the masks
// span as often within 4 sigma; with kept skips chaining input to output theta = 1 and every
// mask spans; the skips are settings of the run, so --resume under others is refused.
TEST(Cli, TrainPrintsTheExactThetaOfResidualNetworks) {
  const std::string dense = "--width 6 --depth 3 --input-width 6 --output-width 6 --model bond ";
  const std::string network = dense + "--residual 2 ";
  const Outcome theory = run("theory " + network + "--p 0.8 --format csv");
  ASSERT_EQ(theory.exit_code, 0) << theory.err;
  const double exact = value(parse_csv(theory.out)[0], "theta");
  const std::string file = ::testing::TempDir() + "dropperc_cli_residual.h5";
  const std::string base = "train " + network +
                           "--p 0.8 --steps 250 --batch 16 --train-size 256 --test-size 64 "
                           "--seed 3 --format csv --out " +
                           file;
  const Outcome r = run(base);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = parse_csv(r.out);
  EXPECT_EQ(value(rows[0], "theta_exact"), exact);
  EXPECT_GT(exact, 0.9);
  EXPECT_LT(exact, 0.99);
  EXPECT_NEAR(value(rows[0], "spanning_fraction"), exact,
              4 * std::sqrt(exact * (1 - exact) / (250 * 16)));
  const Outcome other = run(base + " --residual-dropout false --resume");
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("residual_dropout: file has true, command line false"),
            std::string::npos)
      << other.err;
  const Outcome kept = run("train " + network +
                           "--residual-dropout false --p 0.9 --steps 50 --batch 16 "
                           "--train-size 256 --test-size 64 --format csv");
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_EQ(value(parse_csv(kept.out)[0], "theta_exact"), 1.0);
  EXPECT_EQ(value(parse_csv(kept.out)[0], "spanning_fraction"), 1.0);
  // A residual run is not continued as a plain MLP.
  const Outcome plain = run("train " + dense +
                            "--p 0.8 --steps 250 --batch 16 --train-size 256 --test-size 64 "
                            "--seed 3 --format csv --resume --out " +
                            file);
  EXPECT_EQ(plain.exit_code, 2);
  EXPECT_NE(plain.err.find("residual: file has 2, command line (absent)"), std::string::npos)
      << plain.err;
  const Outcome bad = run("train " + dense + "--residual -1 --p 0.5 --steps 5");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--residual -1"), std::string::npos) << bad.err;
  EXPECT_EQ(run("train " + dense + "--residual 0 --p 0.5 --steps 5").exit_code, 0);
}

TEST(Cli, TrainStopsWhenItDiverges) {
  const std::string file = ::testing::TempDir() + "dropperc_cli_diverged.h5";
  const Outcome r =
      run("train --width 8 --depth 3 --model bond --p 0.4 --steps 3000 --batch 8 --train-size 256 "
          "--test-size 64 --lr 1e6 --format csv --out " +
          file);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("diverged at step"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is not finite"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--lr"), std::string::npos) << r.err;
  const auto rows = parse_csv(r.out);
  ASSERT_EQ(rows.size(), 1u) << r.out;
  const double diverged_at = value(rows[0], "diverged_at");
  EXPECT_GT(diverged_at, 0);
  EXPECT_LT(diverged_at, 3000);
  EXPECT_EQ(value(rows[0], "steps"), diverged_at);
  const auto saved = dropperc::h5::File::open(file);
  EXPECT_EQ(saved.root().group("summary").integer_attribute("diverged_at"), diverged_at);
  EXPECT_EQ(saved.root().group("state").integer_attribute("step"), diverged_at);
  // A run that does not diverge says 0.
  const Outcome calm =
      run("train --width 8 --depth 3 --model bond --p 0.4 --steps 20 --batch 8 --train-size 256 "
          "--test-size 64 --format csv");
  ASSERT_EQ(calm.exit_code, 0) << calm.err;
  EXPECT_EQ(parse_csv(calm.out)[0].at("diverged_at"), "0");
}

// The runner: a diverged replica stops, counts as complete, and records its step; the merged
// task pads its shorter curves with NaN.
TEST(Cli, RunStopsDivergedReplicasAndMergesThem) {
  const std::filesystem::path dir = ::testing::TempDir() + "dropperc_cli_diverged_job";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string job = (dir / "job.toml").string();
  std::ofstream(job) << "[job]\nname = \"diverge\"\nseed = 7\noutput = \"out\"\n"
                     << "[grid]\nmodels = [\"bond\"]\nwidths = [8]\ndepths = [3]\np = [0.4]\n"
                     << "[training]\nsteps = 400\nbatch = 8\nlearning_rate = 30.0\n"
                     << "replicas = 3\neval_interval = 50\n"
                     << "[training.teacher]\nfeatures = 4\noutputs = 2\ntrain_size = 128\n"
                     << "test_size = 32\n";
  const Outcome r = run("run " + job + " --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Outcome status = run("status " + job);
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_NE(status.out.find("3 of 3 units done"), std::string::npos) << status.out;
  // analyze counts the diverged replicas and averages the one that did not diverge.
  const Outcome analysis = run("analyze " + (dir / "out" / "diverge.h5").string());
  ASSERT_EQ(analysis.exit_code, 0) << analysis.err;
  const std::size_t at = analysis.out.find("train_bond_W8_L3_p0.400_nobias_relu");
  ASSERT_NE(at, std::string::npos) << analysis.out;
  const std::string row = analysis.out.substr(at, analysis.out.find('\n', at) - at);
  EXPECT_NE(row.find("2 of 3"), std::string::npos) << row;
  const auto merged = dropperc::h5::File::open(dir / "out" / "diverge.h5");
  const auto task = merged.root().group("tasks/train_bond_W8_L3_p0.400_nobias_relu");
  const std::vector<double> diverged_at = task.read<double>("diverged_at");
  ASSERT_EQ(diverged_at.size(), 3u);
  // Seed 7: replicas 0 and 2 diverge within a few steps, replica 1 does not.
  EXPECT_GT(diverged_at[0], 0);
  EXPECT_EQ(diverged_at[1], 0);
  EXPECT_GT(diverged_at[2], 0);
  char accuracy[32];
  std::snprintf(accuracy, sizeof accuracy, "%.6g", task.read<double>("final_test_accuracy")[1]);
  EXPECT_NE(row.find(accuracy), std::string::npos) << accuracy << " in " << row;
  EXPECT_EQ(task.shape("loss"), (dropperc::h5::Shape{3, 400}));
  const std::vector<double> loss = task.read<double>("loss");
  for (int replica : {0, 2}) {
    const auto last = static_cast<std::size_t>(diverged_at[static_cast<std::size_t>(replica)]);
    for (std::size_t step = last; step < 400; ++step)
      EXPECT_TRUE(std::isnan(loss[replica * 400 + step])) << replica << " " << step;
  }
  for (std::size_t step = 0; step < 400; ++step)
    EXPECT_TRUE(std::isfinite(loss[400 + step])) << step;
  EXPECT_EQ(task.read<double>("step").size(), 400u);
  EXPECT_EQ(task.read<double>("evaluation_step").size(), 9u);  // 0, 50, ..., 400
}

// SIGTERM during train --out: the run stops within a step, exit 3, and the file holds the steps
// done, resumable with --resume.
TEST(Cli, TrainStopsOnSigtermAndWritesTheRun) {
  const std::string dir = ::testing::TempDir();
  const std::string file = dir + "dropperc_cli_sigterm.h5";
  const std::string log = dir + "dropperc_cli_sigterm.log";
  std::filesystem::remove(file);
  // Started in the background; signalled once it has printed its first evaluation (it handles
  // signals by then); its exit code written to a file.
  const std::string script =
      std::string(DROPPERC_EXECUTABLE) +
      " train --width 64 --depth 4 --model bond --p 0.3 --batch 64 --steps 1000000 --out " + file +
      " > " + log + " 2>&1 & pid=$!; for i in $(seq 300); do grep -q step " + log +
      " && break; sleep 0.1; done; kill -TERM $pid; wait $pid; echo $? > " + log + ".rc";
  ASSERT_EQ(std::system(("bash -c '" + script + "'").c_str()), 0);
  std::ifstream rc_in(log + ".rc");
  int rc = -1;
  rc_in >> rc;
  std::ifstream log_in(log);
  const std::string output(std::istreambuf_iterator<char>(log_in), {});
  EXPECT_EQ(rc, 3) << output;
  EXPECT_NE(output.find("stopped at step"), std::string::npos) << output;
  EXPECT_NE(output.find("--resume"), std::string::npos) << output;
  const auto saved = dropperc::h5::File::open(file);
  const std::int64_t steps = saved.root().group("summary").integer_attribute("steps");
  EXPECT_GT(steps, 0);
  EXPECT_LT(steps, 1000000);
  EXPECT_EQ(saved.root().group("state").integer_attribute("step"), steps);
}

// scripts/make_digits.py writes a real data set that train reads and learns.
TEST(Cli, TrainsOnTheDigitsDataSet) {
  if (std::system("/usr/bin/python3 -c 'import sklearn, h5py' 2>/dev/null") != 0) {
    GTEST_SKIP()
        << "Debian's python3-sklearn or python3-h5py is missing (scripts/setup.sh installs them)";
  }
  const std::string file = ::testing::TempDir() + "digits.h5";
  ASSERT_EQ(std::system(("/usr/bin/python3 " DROPPERC_SOURCE_DIR "/scripts/make_digits.py " + file +
                         " > /dev/null")
                            .c_str()),
            0);
  const Outcome r =
      run("train --dataset " + file +
          " --width 32 --depth 1 --model site --p 0.1 --steps 300 --lr 0.1 --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Ten classes: chance is 0.1; 300 steps of SGD reach far beyond it.
  EXPECT_GT(value(parse_csv(r.out)[0], "test_accuracy"), 0.5);
  const Outcome wrong = run("train --dataset " + file +
                            " --width 32 --depth 1 --model site --p 0.1 --input-width 10");
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find("64 features"), std::string::npos) << wrong.err;
}

}  // namespace

// A small lattice job written to `dir`/job.toml with the given name and q grid.
std::string write_lattice_job(const std::filesystem::path& dir, const std::string& name,
                              const std::string& q) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "job.toml") << "[job]\nname = \"" << name << "\"\noutput = \"out\"\n"
                                  << "[lattice]\nmodels = [\"bond\"]\nsizes = [4]\nsamples = 20\n"
                                  << "q = [" << q << "]\n";
  return (dir / "job.toml").string();
}

// status says when run would refuse the directory (changed settings, another job's results),
// counts the changed tasks' units as not done, and does not call it complete.
TEST(Cli, StatusSaysWhenRunWouldRefuse) {
  const std::filesystem::path dir = ::testing::TempDir() + "dropperc_cli_status_refusal";
  std::filesystem::remove_all(dir);
  ASSERT_EQ(run("run " + write_lattice_job(dir, "first", "0.5") + " --quiet").exit_code, 0);
  EXPECT_EQ(run("status " + write_lattice_job(dir, "first", "0.5")).exit_code, 0);
  const Outcome changed = run("status " + write_lattice_job(dir, "first", "0.4, 0.5"));
  EXPECT_EQ(changed.exit_code, 3) << changed.err;
  EXPECT_NE(changed.err.find("would refuse"), std::string::npos) << changed.err;
  EXPECT_NE(changed.err.find("lattice_bond_L4: q: 0.500 -> 0.400, 0.500"), std::string::npos)
      << changed.err;
  EXPECT_NE(changed.out.find("0 of 1 units done"), std::string::npos) << changed.out;
  EXPECT_EQ(run("run " + write_lattice_job(dir, "first", "0.4, 0.5") + " --quiet").exit_code, 2);
  const Outcome other = run("status " + write_lattice_job(dir, "second", "0.5"));
  EXPECT_EQ(other.exit_code, 3) << other.err;
  EXPECT_NE(other.err.find("holds the results of job 'first'"), std::string::npos) << other.err;
}

// merge on a full disk: exit 1 with the reason, no temporary file left, no crash at exit. The
// full disk is a 1000 KiB tmpfs that holds the units (about 700 KiB) but not the merged file
// (needs root, as CI runs: skipped otherwise).
TEST(Cli, MergeOnAFullDiskFailsCleanly) {
  const std::filesystem::path dir = ::testing::TempDir() + "dropperc_cli_full_disk";
  const std::filesystem::path disk = dir / "disk";
  std::system(("umount " + disk.string() + " 2>/dev/null").c_str());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(disk);
  const std::string job = (dir / "job.toml").string();
  std::ofstream(job) << "[job]\nname = \"full\"\n[lattice]\nmodels = [\"bond\", \"site\"]\n"
                     << "sizes = [8, 16]\nsamples = 20000\n";
  ASSERT_EQ(run("run " + job + " --quiet --output " + (dir / "out").string()).exit_code, 0);
  if (std::system(("mount -t tmpfs -o size=1000k tmpfs " + disk.string() + " 2>/dev/null").c_str()))
    GTEST_SKIP() << "cannot mount a small tmpfs here (not root?)";
  struct Unmount {
    std::string path;
    ~Unmount() { std::system(("umount " + path).c_str()); }
  } unmount{disk.string()};
  std::filesystem::remove(dir / "out" / "full.h5");
  std::filesystem::copy(dir / "out", disk / "out", std::filesystem::copy_options::recursive);
  const Outcome r = run("merge " + job + " --output " + (disk / "out").string());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  for (const auto& entry : std::filesystem::directory_iterator(disk / "out")) {
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(name.find(".tmp."), std::string::npos) << name << " left behind";
  }
}
