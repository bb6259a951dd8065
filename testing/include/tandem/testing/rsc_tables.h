#pragma once
// Test-only: assembles resource tables at run time, entry by entry, so tests
// (and other layers' tests, e.g. remoteproc) can build good tables and break
// one field. Little-endian byte vectors; std::vector is fine in tests.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tandem/base/span.h"
#include "tandem/rsc/wire.h"

namespace tandem::rsc::testing {

using Bytes = std::vector<std::uint8_t>;

inline void PutLe32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) b.at(at + i) = static_cast<std::uint8_t>(v >> (8 * i));
}
inline void AppendLe32(Bytes& b, std::uint32_t v) {
  b.resize(b.size() + 4);
  PutLe32(b, b.size() - 4, v);
}
inline std::uint32_t GetLe32(const Bytes& b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v |= std::uint32_t{b.at(at + i)} << (8 * i);
  return v;
}
inline void AppendName(Bytes& b, const std::string& name) {
  for (std::size_t i = 0; i < kNameSize; ++i) b.push_back(i < name.size() ? name[i] : 0);
}

inline Bytes CarveoutBytes(std::uint32_t da, std::uint32_t len, const std::string& name,
                           std::uint32_t pa = kAddrAny, std::uint32_t flags = 0) {
  Bytes b;
  for (std::uint32_t v : {kRscCarveout, da, pa, len, flags, 0u}) AppendLe32(b, v);
  AppendName(b, name);
  return b;
}
inline Bytes DevmemBytes(std::uint32_t da, std::uint32_t pa, std::uint32_t len,
                         const std::string& name) {
  Bytes b;
  for (std::uint32_t v : {kRscDevmem, da, pa, len, 0u, 0u}) AppendLe32(b, v);
  AppendName(b, name);
  return b;
}
inline Bytes TraceBytes(std::uint32_t da, std::uint32_t len, const std::string& name) {
  Bytes b;
  for (std::uint32_t v : {kRscTrace, da, len, 0u}) AppendLe32(b, v);
  AppendName(b, name);
  return b;
}
struct TestVring {
  std::uint32_t da, align, num, notifyid;
};
inline Bytes VdevBytes(std::uint32_t id, std::uint32_t notifyid, std::uint32_t dfeatures,
                       const std::vector<TestVring>& vrings, const Bytes& config = {}) {
  Bytes b;
  for (std::uint32_t v :
       {kRscVdev, id, notifyid, dfeatures, 0u, static_cast<std::uint32_t>(config.size())}) {
    AppendLe32(b, v);
  }
  b.push_back(0);                                         // status
  b.push_back(static_cast<std::uint8_t>(vrings.size()));  // num_of_vrings
  b.push_back(0);
  b.push_back(0);
  for (const TestVring& r : vrings) {
    for (std::uint32_t v : {r.da, r.align, r.num, r.notifyid, 0u}) AppendLe32(b, v);
  }
  b.insert(b.end(), config.begin(), config.end());
  while (b.size() % 4 != 0) b.push_back(0);
  return b;
}
inline Bytes VendorBytes(std::uint32_t type, const Bytes& body) {
  Bytes b;
  AppendLe32(b, type);
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

// Header + offsets + entries back to back (each padded to 4 bytes).
inline Bytes TableBytes(const std::vector<Bytes>& entries, std::uint32_t ver = kTableVersion) {
  Bytes b;
  AppendLe32(b, ver);
  AppendLe32(b, static_cast<std::uint32_t>(entries.size()));
  AppendLe32(b, 0);
  AppendLe32(b, 0);
  std::size_t at = 16 + 4 * entries.size();
  for (const Bytes& e : entries) {
    AppendLe32(b, static_cast<std::uint32_t>(at));
    at += (e.size() + 3) / 4 * 4;
  }
  for (const Bytes& e : entries) {
    b.insert(b.end(), e.begin(), e.end());
    while (b.size() % 4 != 0) b.push_back(0);
  }
  return b;
}
inline std::size_t OffsetField(std::size_t index) { return 16 + 4 * index; }

inline ConstByteSpan Span(const Bytes& b) {
  return {reinterpret_cast<const std::byte*>(b.data()), b.size()};
}
inline ByteSpan MutableSpan(Bytes& b) { return {reinterpret_cast<std::byte*>(b.data()), b.size()}; }

}  // namespace tandem::rsc::testing
