#pragma once
// Test-only: a parsed resource table and everything a resource handler
// needs around it (FakePlatform, MemoryMap, ErrorDetail, TableResources),
// for the handler and vdev placement tests.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>

#include "resource_handlers.h"
#include "tandem/testing/fake_rproc_platform.h"
#include "tandem/testing/test_firmware.h"

namespace tandem::remoteproc::testing {

inline constexpr std::uint32_t kSram = FakePlatform::kSramBase;

// A table's bytes, parsed, with everything a handler needs around it.
class HandlerTest : public ::testing::Test {
 protected:
  void Use(Bytes bytes) {
    table_ = std::move(bytes);
    auto parsed = rsc::ResourceTable::Parse(Span(table_));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    parsed_ = *parsed;
  }
  ResourceContext Context(Placement placement) {
    return {memory_, ByteSpan(reinterpret_cast<std::byte*>(table_.data()), table_.size()),
            placement, host_buffer_size_, out_};
  }
  Status HandleAll(Placement placement) {
    ResourceContext ctx = Context(placement);
    return HandleResources(*parsed_, ctx);
  }
  // Entry `index` of the table as it is now (re-parsed: handlers patch it).
  rsc::Entry EntryNow(std::size_t index) {
    auto parsed = rsc::ResourceTable::Parse(Span(table_));
    EXPECT_TRUE(parsed.ok());
    return parsed->entry(index).value();
  }
  bool Mapped(const char* name) const {
    for (const MappedRegion& m : map_.regions()) {
      if (std::string(m.name.c_str()) == name) return true;
    }
    return false;
  }

  FakePlatform platform_;
  MemoryMap map_;
  ErrorDetail detail_;
  RemoteMemory memory_{platform_, map_, detail_};
  TableResources out_;
  Bytes table_;
  std::optional<rsc::ResourceTable> parsed_;
  std::uint32_t host_buffer_size_ = 512;  // Options::rpmsg_buffer_size
};

}  // namespace tandem::remoteproc::testing
