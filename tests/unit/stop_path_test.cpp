// The stop path writes before anything else and allocates nothing. Real sim HAL outputs
// (a file as the UART, a file-backed enable line) on a real sd-event loop.
#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <new>
#include <sstream>
#include <vector>

#include "agent/event_loop.hpp"
#include "fault/fault_set.hpp"
#include "hal/sim/sim_output_line.hpp"
#include "hal/sim/sim_serial_link.hpp"
#include "motion/stop_path.hpp"
#include "util/realtime.hpp"

// This file replaces the global operator new/delete with malloc/free pairs; GCC's
// optimiser still matches inlined `new` against `free` and warns. The pairing is right.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
// Counts C++ allocations made by this thread while `counting` is set.
thread_local bool counting = false;
std::atomic<std::size_t> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  if (counting) allocations.fetch_add(1);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (counting) allocations.fetch_add(1);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (counting) allocations.fetch_add(1);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  if (counting) allocations.fetch_add(1);
  return std::malloc(size == 0 ? 1 : size);
}
// Every unaligned form of new and delete is replaced together: the whole test binary's
// allocations then come from malloc and go back to free (ASan checks the pairing).
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace lifeline::motion {
namespace {

using namespace std::chrono_literals;

class NullSink final : public EventSink {
 public:
  void record(Event /*event*/) override {}
};

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A motor port that refuses to open `refusals` times, then opens; while `broken`, every
// write fails as an unplugged USB adapter's does (EIO). Records when open() was called.
class FlakyLink final : public hal::SerialLink {
 public:
  struct Log {
    std::vector<std::chrono::steady_clock::time_point> opens;
    int refusals = 0;
    bool broken = false;
  };
  explicit FlakyLink(std::shared_ptr<Log> log) : log_(std::move(log)) {}
  Status open() override {
    log_->opens.push_back(std::chrono::steady_clock::now());
    if (log_->refusals > 0) {
      --log_->refusals;
      return Error{ENOENT, "no such port"};
    }
    open_ = true;
    return ok_status();
  }
  Expected<std::size_t> write(std::span<const std::uint8_t> bytes) override {
    if (log_->broken) return Error{EIO, "unplugged"};
    return bytes.size();
  }
  void close() override { open_ = false; }
  [[nodiscard]] bool is_open() const override { return open_; }
  [[nodiscard]] std::string describe() const override { return "flaky"; }

 private:
  std::shared_ptr<Log> log_;
  bool open_ = false;
};

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<EventLoop> loop;
  hal::SystemClock clock;
  NullSink sink;
  FaultSet faults{sink, clock};
  std::unique_ptr<StopPath> stop_path;

  // `link`: the motor port; a file in `dir` (a SimSerialLink) when null.
  explicit Fixture(int category, std::unique_ptr<hal::SerialLink> link = nullptr) {
    dir = std::filesystem::temp_directory_path() /
          ("lifeline-stop-path-" + std::to_string(::getpid()) + "-" + std::to_string(category));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    loop = std::move(*EventLoop::create());
    StopPathSettings settings;
    settings.category = category;
    settings.cat1_delay = 200ms;
    settings.repeat = 50ms;
    settings.stop_frame = {0x80, 0x00, 0x00, 0x00};
    settings.arm_frame = {0x80, 0x0E, 0x05, 0x13};
    auto line = hal::SimOutputLine::open(dir.string(), "motor_enable", clock, false);
    if (link == nullptr) link = std::make_unique<hal::SimSerialLink>((dir / "uart").string());
    stop_path =
        std::make_unique<StopPath>(*loop, faults, settings, std::move(link), std::move(*line));
    EXPECT_TRUE(stop_path->prepare().ok());
  }
  ~Fixture() {
    stop_path.reset();
    std::filesystem::remove_all(dir);
  }
  std::string uart() const { return read_all((dir / "uart").string()); }
  void run_for(std::chrono::milliseconds span) {
    const auto end = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < end) sd_event_run(loop->raw(), 10'000);
  }
};

TEST(StopPath, StartsStoppedWithTheFrameWrittenAndEnableLow) {
  Fixture f(0);
  EXPECT_TRUE(f.stop_path->stopped());
  EXPECT_EQ(f.uart(), std::string("\x80\x00\x00\x00", 4));
  EXPECT_FALSE(f.stop_path->enable_active());
}

TEST(StopPath, ArmWritesTheTimeoutFrameAndRaisesEnable) {
  Fixture f(0);
  f.stop_path->arm();
  EXPECT_EQ(f.uart(), std::string("\x80\x00\x00\x00\x80\x0E\x05\x13", 8));
  EXPECT_TRUE(f.stop_path->enable_active());
}

TEST(StopPath, StopAllocatesNothingAndWritesBeforeDroppingEnable) {
  Fixture f(0);
  f.stop_path->arm();
  const auto before = f.uart().size();
  allocations = 0;
  counting = true;
  f.stop_path->stop();
  counting = false;
  EXPECT_EQ(allocations.load(), 0U) << "the stop path must not allocate";
  EXPECT_EQ(f.uart().substr(before), std::string("\x80\x00\x00\x00", 4));
  EXPECT_FALSE(f.stop_path->enable_active());
}

TEST(StopPath, StampsTheFrameThenTheLineOnceUntilTaken) {
  Fixture f(0);
  f.stop_path->take_stamps();  // the start's own stop
  f.stop_path->arm();
  const auto before = realtime_now_us();
  allocations = 0;
  counting = true;
  f.stop_path->stop();
  counting = false;
  EXPECT_EQ(allocations.load(), 0U) << "stamping must not allocate";
  const auto after = realtime_now_us();
  f.stop_path->stop();  // a safe state's second stop must not move the first one's stamps
  const StopStamps stamps = f.stop_path->take_stamps();
  EXPECT_GE(stamps.frames_written_us, before);
  EXPECT_LE(stamps.frames_written_us, stamps.enable_low_us) << "the frame goes first";
  EXPECT_LE(stamps.enable_low_us, after);
  const StopStamps again = f.stop_path->take_stamps();
  EXPECT_EQ(again.frames_written_us, 0) << "taken stamps are forgotten";
  EXPECT_EQ(again.enable_low_us, 0);
}

// The stamps come from the clock the records use (the FaultSet's): a fake one moves them.
TEST(StopPath, StampsAreReadFromTheRecordsClock) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("lifeline-stop-path-clock-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  hal::FakeClock clock;
  NullSink sink;
  FaultSet faults(sink, clock);
  StopPathSettings settings;
  settings.stop_frame = {0x80, 0x00, 0x00, 0x00};
  settings.arm_frame = {0x80, 0x0E, 0x05, 0x13};
  auto line = hal::SimOutputLine::open(dir.string(), "motor_enable", clock, false);
  ASSERT_TRUE(line);
  StopPath path(**loop, faults, settings,
                std::make_unique<hal::SimSerialLink>((dir / "uart").string()), std::move(*line));
  ASSERT_TRUE(path.prepare().ok());
  path.take_stamps();
  path.arm();
  clock.advance(std::chrono::seconds(5));
  path.stop();
  const StopStamps stamps = path.take_stamps();
  EXPECT_EQ(stamps.frames_written_us, hal::wall_us(clock));
  EXPECT_EQ(stamps.enable_low_us, hal::wall_us(clock));
  EXPECT_EQ(hal::wall_us(clock), 1'700'000'005'000'000);
  std::filesystem::remove_all(dir);
}

TEST(StopPath, CategoryOneStampsTheFrameButNotTheDeferredLine) {
  Fixture f(1);
  f.stop_path->arm();
  f.stop_path->stop();
  const StopStamps stamps = f.stop_path->take_stamps();
  EXPECT_GT(stamps.frames_written_us, 0);
  EXPECT_EQ(stamps.enable_low_us, 0) << "the line drops later, after cat1_delay";
}

TEST(StopPath, ArmForgetsAStopNobodyTook) {
  Fixture f(0);
  f.stop_path->arm();  // prepare()'s stop was never taken
  const StopStamps stamps = f.stop_path->take_stamps();
  EXPECT_EQ(stamps.frames_written_us, 0);
  EXPECT_EQ(stamps.enable_low_us, 0);
}

TEST(StopPath, CategoryOneKeepsEnableUntilTheDelayThenDropsIt) {
  Fixture f(1);
  f.stop_path->arm();
  allocations = 0;
  counting = true;
  f.stop_path->stop();
  counting = false;
  EXPECT_EQ(allocations.load(), 0U);
  EXPECT_TRUE(f.stop_path->enable_active()) << "category 1: power stays on for the delay";
  f.run_for(100ms);
  EXPECT_TRUE(f.stop_path->enable_active());
  f.run_for(200ms);
  EXPECT_FALSE(f.stop_path->enable_active());
}

TEST(StopPath, RepeatsTheStopFrameWhileStoppedAndNotWhileArmed) {
  Fixture f(0);
  f.run_for(230ms);  // ~4 repeats at 50 ms
  const auto frames = f.uart().size() / 4;
  EXPECT_GE(frames, 3U);
  EXPECT_LE(frames, 7U);
  f.stop_path->arm();
  const auto armed_size = f.uart().size();
  f.run_for(200ms);
  EXPECT_EQ(f.uart().size(), armed_size) << "no stop frames while armed";
}

// The gaps between attempts to open the port, in ms.
std::vector<long long> gaps_ms(const std::vector<std::chrono::steady_clock::time_point>& opens) {
  std::vector<long long> gaps;
  for (std::size_t i = 1; i < opens.size(); ++i) {
    gaps.push_back(
        std::chrono::duration_cast<std::chrono::milliseconds>(opens[i] - opens[i - 1]).count());
  }
  return gaps;
}

// A port that will not open is tried again after 100 ms, 200 ms, 400 ms ... (the timers
// never fire early; a loaded machine only makes the gaps longer).
TEST(StopPath, AClosedPortIsTriedAgainAfterDoublingWaits) {
  auto log = std::make_shared<FlakyLink::Log>();
  log->refusals = 100;
  Fixture f(0, std::make_unique<FlakyLink>(log));
  EXPECT_TRUE(f.faults.active(Fault::motor_serial_down));
  f.run_for(1000ms);  // opens at 0 (prepare), 100, 300, 700 ms; the next at 1500 ms
  ASSERT_GE(log->opens.size(), 3U);
  EXPECT_LE(log->opens.size(), 4U);
  const auto gaps = gaps_ms(log->opens);
  EXPECT_GE(gaps[0], 99);
  EXPECT_GE(gaps[1], 199);
  if (gaps.size() > 2) {
    EXPECT_GE(gaps[2], 399);
  }
  EXPECT_EQ(f.stop_path->counters().reconnects, 0U);
}

// After a reconnect, a lost link starts over at 100 ms, however long the last wait was.
TEST(StopPath, ALostLinkIsReopenedAfterTheFirstWaitAgain) {
  auto log = std::make_shared<FlakyLink::Log>();
  log->refusals = 3;  // opens at 0, 100, 300 refused; at 700 ms it opens
  Fixture f(0, std::make_unique<FlakyLink>(log));
  f.run_for(1200ms);
  ASSERT_EQ(log->opens.size(), 4U);
  EXPECT_EQ(f.stop_path->counters().reconnects, 1U);
  EXPECT_TRUE(f.stop_path->serial_up());
  log->broken = true;
  const auto lost = std::chrono::steady_clock::now();
  f.stop_path->stop();  // the write fails: the link is lost
  log->broken = false;
  EXPECT_FALSE(f.stop_path->serial_up());
  f.run_for(600ms);  // not the 800 ms the doubling would have reached
  ASSERT_EQ(log->opens.size(), 5U);
  const auto waited = log->opens.back() - lost;
  EXPECT_GE(waited, 99ms);
  EXPECT_LT(waited, 600ms);
  EXPECT_EQ(f.stop_path->counters().reconnects, 2U);
}

}  // namespace
}  // namespace lifeline::motion
