// Mode "mask" and a hand-installed unit file. Masking UNIT means a symlink
// MASK_DIR/UNIT -> /dev/null, and systemd (MaskUnitFiles, also with force=true) refuses to
// replace a regular file there: the call fails with "File ... already exists"
// (org.freedesktop.systemd1.UnitExists, from EEXIST). So such a file is first renamed to
// MASK_DIR/UNIT.lifeline-masked (same directory: same filesystem, atomic), and
// `lifeline exclusivity release UNIT` renames it back after the unmask.
//
// The decisions are pure (tested alone); move_aside and put_back are the two renames.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lifeline::exclusivity {

inline constexpr std::string_view kMovedAsideSuffix = ".lifeline-masked";

// MASK_DIR/UNIT: where the mask's symlink goes, and so the file that stands in its way
// when it is a regular file, whatever FragmentPath says (a unit loaded from
// /run/systemd/system still cannot be masked over a regular file in /etc). None for a
// name that is not a plain file name ("", ".", "..", one with a '/'): never a path
// outside MASK_DIR.
std::optional<std::string> mask_link_path(std::string_view mask_dir, std::string_view unit);
// MASK_DIR/UNIT.lifeline-masked.
std::string moved_aside_path(std::string_view mask_dir, std::string_view unit);

struct AsideResult {
  bool moved = false;  // a regular file was renamed to `to`
  std::string from;
  std::string to;
  std::string error;  // "" = nothing to move, or moved; else why the mask cannot be made
};

// Renames a regular file at MASK_DIR/UNIT to MASK_DIR/UNIT.lifeline-masked, never over
// an existing file there. A symlink (enabled alias, an earlier mask) or no file at all is
// left alone: MaskUnitFiles(force=true) handles those.
AsideResult move_aside(const std::string& mask_dir, const std::string& unit);

// What `release` must refuse before it changes anything: both a file at MASK_DIR/UNIT
// that is not the mask's /dev/null symlink and the moved-aside copy ("" = go ahead).
std::string put_back_blocker(const std::string& mask_dir, const std::string& unit);

// After the unmask: renames MASK_DIR/UNIT.lifeline-masked back to MASK_DIR/UNIT, never
// over a file that is there. moved = false and no error when there is no copy.
AsideResult put_back(const std::string& mask_dir, const std::string& unit);

}  // namespace lifeline::exclusivity
