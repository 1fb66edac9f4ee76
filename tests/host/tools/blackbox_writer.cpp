// blackbox_writer DIR SEGMENT_BYTES SEGMENTS
// Appends records to a black box Store as fast as it can, forever, for the kill -9 test.
// Prints "ready <next seq> <recovered tail bytes>" once the store is open, then
// "ack <seq>" after each durable append (every 4th record) has returned. Each record's
// content is derived from its seq so a reader can check it is exactly what was written.
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "blackbox/store.hpp"
#include "util/files.hpp"

namespace {

using lifeline::blackbox::Record;

std::int64_t now_us(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

bool parse_u32(const char* text, std::uint32_t& out) {
  char* end = nullptr;
  const unsigned long value = std::strtoul(text, &end, 10);
  if (end == text || *end != '\0' || value > 0xFFFFFFFFUL) return false;
  out = static_cast<std::uint32_t>(value);
  return true;
}

// The shape the crash test checks; keep the two in step.
Record writer_record(std::uint64_t seq, const lifeline::blackbox::BootId& boot_id, long pid) {
  Record record;
  record.realtime_us = now_us(CLOCK_REALTIME);
  record.monotonic_us = now_us(CLOCK_MONOTONIC);
  record.boot_id = boot_id;
  const bool durable = seq % 4 == 0;
  record.event.kind =
      durable ? lifeline::EventKind::fault_raised : lifeline::EventKind::health_check_changed;
  record.event.fault =
      durable ? std::optional(lifeline::Fault::health_check_failing) : std::nullopt;
  record.event.severity = durable ? lifeline::Severity::error : lifeline::Severity::info;
  record.event.message = "writer record " + std::to_string(seq);
  record.event.fields = {
      {"counter", std::to_string(seq)},
      {"pid", std::to_string(pid)},
      {"pad", std::string(static_cast<std::size_t>(seq % 97), static_cast<char>('a' + seq % 26))},
  };
  return record;
}

}  // namespace

int main(int argc, char** argv) {
  lifeline::blackbox::StoreLimits limits;
  if (argc != 4 || !parse_u32(argv[2], limits.segment_bytes) ||
      !parse_u32(argv[3], limits.segments)) {
    std::fprintf(stderr, "usage: blackbox_writer DIR SEGMENT_BYTES SEGMENTS\n");
    return 2;
  }
  auto store = lifeline::blackbox::Store::open(argv[1], limits);
  if (!store) {
    std::fprintf(stderr, "blackbox_writer: %s\n", store.error().message.c_str());
    return 1;
  }
  const auto boot_id = lifeline::blackbox::parse_boot_id(lifeline::read_boot_id())
                           .value_or(lifeline::blackbox::BootId{});
  const long pid = static_cast<long>(::getpid());
  std::printf("ready %llu %llu\n", static_cast<unsigned long long>((*store)->next_seq()),
              static_cast<unsigned long long>((*store)->recovered_tail_bytes()));
  std::fflush(stdout);

  for (;;) {
    const std::uint64_t seq = (*store)->next_seq();
    const bool durable = seq % 4 == 0;
    auto appended = (*store)->append(writer_record(seq, boot_id, pid), durable);
    if (!appended) {
      std::fprintf(stderr, "blackbox_writer: %s\n", appended.error().message.c_str());
      return 1;
    }
    if (*appended != seq) {
      std::fprintf(stderr, "blackbox_writer: expected seq %llu, store used %llu\n",
                   static_cast<unsigned long long>(seq),
                   static_cast<unsigned long long>(*appended));
      return 1;
    }
    if (durable) {
      std::printf("ack %llu\n", static_cast<unsigned long long>(seq));
      std::fflush(stdout);
    }
  }
}
