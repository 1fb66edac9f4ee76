// Small file helpers shared by the stores: durable replace, whole-file read.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "lifeline/expected.hpp"

namespace lifeline {

// Replaces `path` with `content` so that a crash leaves either the old or the new file:
// write a temp file, fsync it, rename over, fsync the directory.
Status write_file_durably(const std::string& path, const std::string& content);

// Reads a whole (small) file. Error when missing or unreadable.
Expected<std::string> read_small_file(const std::string& path, std::size_t max_bytes = 1 << 20);

// Reads up to buffer.size() bytes of `path` into `buffer` without allocating (the memory
// guard's kill path); the bytes read, or nullopt when it cannot be opened or read. A file
// longer than the buffer is cut: the caller sizes the buffer for the file it reads.
std::optional<std::size_t> read_into(const char* path, std::span<char> buffer);

// Creates a directory and its parents (like mkdir -p) with the given mode.
Status make_directories(const std::string& path, unsigned mode = 0750);

// Takes an exclusive flock on `path` (created if missing) and writes our pid into it;
// returns the open fd, to be held for the process's life. The error names the holder.
Expected<int> lock_file(const std::string& path);

// The kernel's boot id (/proc/sys/kernel/random/boot_id) without dashes; empty if unknown.
std::string read_boot_id();

}  // namespace lifeline
