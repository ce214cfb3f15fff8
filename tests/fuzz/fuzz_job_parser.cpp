// libFuzzer target of the job parser (parse_job_text, job.hpp): whatever the text, the parser
// returns a job or throws JobError. Any other exception, a crash, a sanitizer report, a hang or
// an allocation beyond libFuzzer's limit is a bug. scripts/fuzz.sh builds and runs it.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dropperc/runner/job.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A directory that does not exist: relative data sets are missing, nothing is written.
  static const std::filesystem::path file = "/nonexistent/dropperc-fuzz/job.toml";
  try {
    const dropperc::JobSpec job =
        dropperc::parse_job_text(std::string_view(reinterpret_cast<const char*>(data), size), file);
    (void)dropperc::expand(job);
  } catch (const dropperc::JobError&) {
  }
  return 0;
}
