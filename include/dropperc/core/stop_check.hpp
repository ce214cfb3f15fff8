#pragma once
// Whether a long computation should give up early: a request (a stop signal, a walltime, an
// order from the coordinator) asked between its steps. Asking is cheap: the clock is read only
// every `stride` calls, a stride that adapts so that reads come about every `interval` seconds,
// and `requested` is called at most that often (and at the first step), so a block of a million
// tiny samples pays a few increments per sample and a block of slow ones sees a stop within one
// sample. A computation that stopped returns what it has; its caller asks stopped() and throws
// the partial result away.

#include <chrono>
#include <cstdint>
#include <functional>

namespace dropperc {

class StopCheck {
 public:
  /// Never stops.
  StopCheck() = default;
  explicit StopCheck(std::function<bool()> requested, double interval = 0.01)
      : requested_(std::move(requested)), interval_(interval) {}

  /// Called between steps: whether to stop now (true from the first request on).
  bool operator()() {
    if (stopped_ || !requested_ || ++calls_ < stride_) return stopped_;
    calls_ = 0;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    if (last_ != std::chrono::steady_clock::time_point{} && elapsed < interval_ / 2) {
      stride_ = std::min<std::int64_t>(2 * stride_, kMaxStride);
      return false;
    }
    if (elapsed > 2 * interval_ && stride_ > 1) stride_ /= 2;
    last_ = now;
    stopped_ = requested_();
    return stopped_;
  }
  bool stopped() const { return stopped_; }

 private:
  static constexpr std::int64_t kMaxStride = 1 << 16;
  std::function<bool()> requested_;
  double interval_ = 0.01;
  std::int64_t stride_ = 1, calls_ = 0;
  std::chrono::steady_clock::time_point last_{};
  bool stopped_ = false;
};

}  // namespace dropperc
