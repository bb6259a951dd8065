// Replays a fuzz harness without libFuzzer: every file in the corpus
// directory given on the command line, then a fixed number of deterministic
// pseudo-random inputs (mutations of the corpus files and fresh noise). Lets
// the default test suite exercise every harness under plain, ASan and TSan
// builds; the coverage-guided runs happen in the fuzz preset.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  std::vector<std::vector<std::uint8_t>> corpus;
  if (argc > 1 && std::filesystem::is_directory(argv[1])) {
    for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  for (const auto& input : corpus) LLVMFuzzerTestOneInput(input.data(), input.size());

  const int iterations = argc > 2 ? std::atoi(argv[2]) : 2000;
  std::mt19937 rng(12345);
  for (int i = 0; i < iterations; ++i) {
    std::vector<std::uint8_t> input;
    if (!corpus.empty() && (i % 2 == 0)) {
      input = corpus[rng() % corpus.size()];
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int f = 0; f < flips && !input.empty(); ++f) {
        input[rng() % input.size()] = static_cast<std::uint8_t>(rng());
      }
      if (rng() % 4 == 0 && !input.empty()) input.resize(rng() % input.size());
    } else {
      input.resize(rng() % 4096);
      for (auto& b : input) b = static_cast<std::uint8_t>(rng());
    }
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::printf("replayed %zu corpus inputs and %d generated inputs\n", corpus.size(), iterations);
  return 0;
}
