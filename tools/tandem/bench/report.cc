// What `tandem bench` shows: a table with each figure, its limit and its
// ratio; the same as JSON; latency and scaling pictures through gnuplot.
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench.h"

namespace tandem::cli::bench {

namespace {

const EchoResult* FindEcho(const Report& r, std::size_t size, bool polling) {
  for (const auto& e : r.echoes) {
    if (e.size == size && e.polling == polling) return &e;
  }
  return nullptr;
}

double Ratio(double value, double limit) { return limit > 0 ? value / limit : 0; }

// The targets, each as "figure, value, limit, ratio, target, met".
struct Target {
  std::string figure;
  double value;
  std::string unit;
  double limit;
  std::string limit_name;
  double ratio;
  std::string target;
  bool met;
};

double BestRate(const Report& r, std::size_t size, const char* direction, bool bytes) {
  double best = 0;
  for (const auto& s : r.streams) {
    if (s.size == size && s.direction == direction) {
      best = std::max(best, bytes ? s.bytes_per_s() : s.msgs_per_s());
    }
  }
  return best;
}

std::vector<Target> Targets(const Report& r) {
  std::vector<Target> t;
  if (const EchoResult* p = FindEcho(r, 16, true)) {
    const double m = Ratio(p->rtt.median, r.spin.median);
    t.push_back({"echo 16 B polling, median", p->rtt.median, "us", r.spin.median,
                 "spin ping-pong median", m, "<= 3x", m <= 3});
    const double q = Ratio(p->rtt.p99, r.spin.p99);
    t.push_back({"echo 16 B polling, p99", p->rtt.p99, "us", r.spin.p99, "spin ping-pong p99", q,
                 "<= 10x", q <= 10});
  }
  if (const EchoResult* b = FindEcho(r, 16, false)) {
    const double m = Ratio(b->rtt.median, r.futex.median);
    t.push_back({"echo 16 B blocking, median", b->rtt.median, "us", r.futex.median,
                 "futex ping-pong median", m, "<= 1.3x", m <= 1.3});
  }
  for (const char* dir : {"host->remote", "remote->host"}) {
    const double msgs = BestRate(r, 16, dir, false);
    if (msgs > 0) {
      t.push_back({std::string("streaming 16 B ") + dir + ", msgs/s", msgs / 1e6, "M/s", 5,
                   "target 5 M/s", msgs / 5e6, ">= 5 M/s", msgs >= 5e6});
    }
    const double bytes = BestRate(r, 496, dir, true);
    if (bytes > 0) {
      t.push_back({std::string("streaming 496 B ") + dir + ", bytes/s", bytes / 1e9, "GB/s",
                   r.memcpy_hot_gbps, "memcpy in cache", Ratio(bytes / 1e9, r.memcpy_hot_gbps),
                   ">= 2 GB/s", bytes >= 2e9});
    }
  }
  for (const auto& b : r.bulk) {
    if (b.block_size != 65536) continue;
    t.push_back({"zero-copy bulk 64 KiB remote->host, bytes/s", b.bytes_per_s() / 1e9, "GB/s",
                 b.memcpy_gbps, "memcpy 1 MiB", b.ratio(), ">= 0.8x", b.ratio() >= 0.8});
  }
  if (r.scaling.size() >= 2 && r.scaling.front().msgs_per_s() > 0) {
    const auto& one = r.scaling.front();
    const auto& most = r.scaling.back();
    const double q = most.msgs_per_s() / one.msgs_per_s();
    t.push_back({"streaming over " + std::to_string(most.endpoints) + " endpoints, msgs/s",
                 most.msgs_per_s() / 1e6, "M/s", one.msgs_per_s() / 1e6, "1 endpoint", q, ">= 0.9x",
                 q >= 0.9});
  }
  if (r.have_idle) {
    t.push_back({"idle CPU, host process", r.idle.host_cpu_percent, "%", 0.1, "0.1 % of a CPU",
                 r.idle.host_cpu_percent / 0.1, "<= 0.1 %", r.idle.host_cpu_percent <= 0.1});
    t.push_back({"idle CPU, core process", r.idle.core_cpu_percent, "%", 0.1, "0.1 % of a CPU",
                 r.idle.core_cpu_percent / 0.1, "<= 0.1 %", r.idle.core_cpu_percent <= 0.1});
  }
  return t;
}

void JsonLatency(std::ostream& o, const Latency& l) {
  o << "{\"min_us\": " << l.min << ", \"median_us\": " << l.median << ", \"p99_us\": " << l.p99
    << ", \"p999_us\": " << l.p999 << ", \"max_us\": " << l.max
    << ", \"count\": " << l.sorted_us.size() << "}";
}

void JsonStream(std::ostream& o, const StreamResult& s) {
  o << "{\"direction\": \"" << s.direction
    << "\", \"zero_copy\": " << (s.zero_copy ? "true" : "false") << ", \"size\": " << s.size
    << ", \"endpoints\": " << s.endpoints << ", \"messages\": " << s.messages
    << ", \"seconds\": " << s.seconds << ", \"msgs_per_s\": " << s.msgs_per_s()
    << ", \"bytes_per_s\": " << s.bytes_per_s() << "}";
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

}  // namespace

std::string MachineSummary() {
  std::string model;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname u{};
  uname(&u);
  std::ostringstream o;
  o << (model.empty() ? "unknown CPU" : model) << ", " << std::thread::hardware_concurrency()
    << " CPUs online, Linux " << u.release;
  double load[3] = {};
  if (getloadavg(load, 3) == 3) o << ", load " << load[0];
  return o.str();
}

void PrintTable(const Report& r) {
  std::printf("\ntandem bench: %s\nfirmware %s, %d round trips per echo row\n\n", r.machine.c_str(),
              r.firmware.c_str(), r.count);
  std::printf("%-34s %9s %9s %9s %9s %9s\n", "round trips (us)", "min", "median", "p99", "p99.9",
              "max");
  auto row = [](const std::string& name, const Latency& l) {
    std::printf("%-34s %9.2f %9.2f %9.2f %9.2f %9.2f\n", name.c_str(), l.min, l.median, l.p99,
                l.p999, l.max);
  };
  row("limit: shm spin ping-pong", r.spin);
  row("limit: shm futex ping-pong", r.futex);
  row("limit: eventfd ping-pong", r.eventfd);
  for (const auto& e : r.echoes) {
    const Latency& lim = e.polling ? r.spin : r.futex;
    row("echo " + std::to_string(e.size) + " B " + (e.polling ? "polling" : "blocking") + " (" +
            (Ratio(e.rtt.median, lim.median) > 0
                 ? std::to_string(Ratio(e.rtt.median, lim.median)).substr(0, 4)
                 : std::string("-")) +
            "x " + (e.polling ? "spin" : "futex") + ")",
        e.rtt);
  }
  if (r.have_daemon) {
    double direct = 0;
    for (const auto& e : r.echoes) {
      if (!e.polling && e.size == 16) direct = e.rtt.median;
    }
    row("echo 16 B via tandemd (+" +
            (direct > 0 ? std::to_string(r.daemon_echo.median - direct).substr(0, 5) + " us"
                        : std::string("-")) +
            ")",
        r.daemon_echo);
  }
  std::printf("\nmemcpy: %.2f GB/s in cache (16 KiB), %.2f GB/s out of cache (64 MiB)\n",
              r.memcpy_hot_gbps, r.memcpy_cold_gbps);
  if (!r.streams.empty() || !r.scaling.empty()) {
    std::printf("\n%-34s %12s %12s %14s\n", "one-way streaming", "msgs/s", "MB/s", "vs memcpy hot");
    auto srow = [&](const StreamResult& s, const std::string& name) {
      std::printf("%-34s %12.0f %12.1f %13.3fx\n", name.c_str(), s.msgs_per_s(),
                  s.bytes_per_s() / 1e6, Ratio(s.bytes_per_s() / 1e9, r.memcpy_hot_gbps));
    };
    for (const auto& s : r.streams) {
      srow(s, s.direction + " " + std::to_string(s.size) + " B " +
                  (s.zero_copy ? "zero-copy" : "copy"));
    }
    for (const auto& s : r.scaling) {
      srow(s, "remote->host 16 B, " + std::to_string(s.endpoints) + " endpoints");
    }
  }
  if (!r.bulk.empty()) {
    std::printf("\n%-34s %12s %12s %14s\n", "zero-copy bulk, remote->host", "blocks/s", "MB/s",
                "vs memcpy 1MiB");
    for (const auto& b : r.bulk) {
      const std::string name = "bulk " + std::to_string(b.block_size / 1024) + " KiB blocks" +
                               (b.bad_blocks ? " (BAD BLOCKS)" : ", checked");
      std::printf("%-34s %12.0f %12.1f %13.3fx\n", name.c_str(),
                  b.seconds > 0 ? b.blocks / b.seconds : 0, b.bytes_per_s() / 1e6, b.ratio());
    }
  }
  if (r.have_idle) {
    std::printf("\nidle over %.1f s: host process %.3f %% of a CPU, core process %.3f %%\n",
                r.idle.seconds, r.idle.host_cpu_percent, r.idle.core_cpu_percent);
  }
  std::printf("\n%-44s %10s %12s %8s %10s %5s\n", "target (issue #13)", "value", "limit", "ratio",
              "target", "met");
  for (const Target& t : Targets(r)) {
    std::printf("%-44s %7.3f %-3s %12.3f %7.2fx %10s %5s\n", t.figure.c_str(), t.value,
                t.unit.c_str(), t.limit, t.ratio, t.target.c_str(), t.met ? "yes" : "NO");
  }
  std::fflush(stdout);
}

Status WriteJson(const Report& r, const std::string& path) {
  std::ofstream o(path);
  if (!o) {
    std::fprintf(stderr, "bench: cannot open %s for writing\n", path.c_str());
    return InvalidArgument("cannot write the JSON file");
  }
  o << "{\n  \"machine\": " << JsonString(r.machine)
    << ",\n  \"firmware\": " << JsonString(r.firmware) << ",\n  \"count\": " << r.count
    << ",\n  \"limits\": {\"spin\": ";
  JsonLatency(o, r.spin);
  o << ", \"futex\": ";
  JsonLatency(o, r.futex);
  o << ", \"eventfd\": ";
  JsonLatency(o, r.eventfd);
  o << ", \"memcpy_hot_gbps\": " << r.memcpy_hot_gbps
    << ", \"memcpy_cold_gbps\": " << r.memcpy_cold_gbps << "},\n  \"echo\": [";
  for (std::size_t i = 0; i < r.echoes.size(); ++i) {
    const auto& e = r.echoes[i];
    o << (i ? ",\n    " : "\n    ") << "{\"size\": " << e.size << ", \"mode\": \""
      << (e.polling ? "polling" : "blocking") << "\", \"rtt\": ";
    JsonLatency(o, e.rtt);
    o << ", \"median_ratio\": " << Ratio(e.rtt.median, (e.polling ? r.spin : r.futex).median)
      << "}";
  }
  o << "],\n";
  if (r.have_daemon) {
    o << "  \"daemon_echo_16\": ";
    JsonLatency(o, r.daemon_echo);
    o << ",\n";
  }
  o << "  \"streaming\": [";
  for (std::size_t i = 0; i < r.streams.size(); ++i) {
    o << (i ? ",\n    " : "\n    ");
    JsonStream(o, r.streams[i]);
  }
  o << "],\n  \"scaling\": [";
  for (std::size_t i = 0; i < r.scaling.size(); ++i) {
    o << (i ? ",\n    " : "\n    ");
    JsonStream(o, r.scaling[i]);
  }
  o << "],\n";
  o << "  \"bulk\": [";
  for (std::size_t i = 0; i < r.bulk.size(); ++i) {
    const auto& b = r.bulk[i];
    o << (i ? ",\n    " : "\n    ") << "{\"block_size\": " << b.block_size
      << ", \"blocks\": " << b.blocks << ", \"bad_blocks\": " << b.bad_blocks
      << ", \"seconds\": " << b.seconds << ", \"bytes_per_s\": " << b.bytes_per_s()
      << ", \"memcpy_gbps\": " << b.memcpy_gbps << ", \"ratio\": " << b.ratio() << "}";
  }
  o << "],\n";
  if (r.have_idle) {
    o << "  \"idle\": {\"seconds\": " << r.idle.seconds
      << ", \"host_cpu_percent\": " << r.idle.host_cpu_percent
      << ", \"core_cpu_percent\": " << r.idle.core_cpu_percent << "},\n";
  }
  o << "  \"targets\": [";
  const auto targets = Targets(r);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const Target& t = targets[i];
    o << (i ? ",\n    " : "\n    ") << "{\"figure\": " << JsonString(t.figure)
      << ", \"value\": " << t.value << ", \"unit\": " << JsonString(t.unit)
      << ", \"limit\": " << t.limit << ", \"limit_name\": " << JsonString(t.limit_name)
      << ", \"ratio\": " << t.ratio << ", \"target\": " << JsonString(t.target)
      << ", \"met\": " << (t.met ? "true" : "false") << "}";
  }
  o << "]\n}\n";
  return o ? OkStatus() : DataLoss("writing the JSON file failed");
}

Status WritePlots(const Report& r, const std::string& dir) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    std::fprintf(stderr,
                 "bench: gnuplot not found, no pictures written (Debian: apt-get install "
                 "gnuplot-nox, or scripts/setup.sh)\n");
    return OkStatus();
  }
  if (std::system(("mkdir -p '" + dir + "'").c_str()) != 0) {
    return InvalidArgument("cannot create the plot directory");
  }
  const EchoResult* poll = FindEcho(r, 16, true);
  const EchoResult* block = FindEcho(r, 16, false);
  // Histogram: log-spaced bins over both modes, fraction of round trips.
  double lo = 1e9, hi = 0;
  for (const EchoResult* e : {poll, block}) {
    if (e == nullptr || e->rtt.sorted_us.empty()) continue;
    lo = std::min(lo, e->rtt.sorted_us.front());
    hi = std::max(hi, e->rtt.p999);
  }
  if (hi <= lo) hi = lo * 2 + 1;
  lo = std::max(lo, 0.01);
  constexpr int kBins = 80;
  std::ofstream hist(dir + "/latency_hist.dat"), cdf_p(dir + "/latency_cdf_polling.dat"),
      cdf_b(dir + "/latency_cdf_blocking.dat"), scal(dir + "/scaling.dat");
  std::vector<double> hp(kBins), hb(kBins);
  auto fill = [&](const EchoResult* e, std::vector<double>& h, std::ofstream& cdf) {
    if (e == nullptr || e->rtt.sorted_us.empty()) return;
    const auto& v = e->rtt.sorted_us;
    for (const double x : v) {
      const int bin = static_cast<int>(std::log(x / lo) / std::log(hi / lo) * kBins);
      if (bin >= 0 && bin < kBins) h[bin] += 1.0 / static_cast<double>(v.size());
    }
    const std::size_t step = std::max<std::size_t>(1, v.size() / 2000);
    for (std::size_t i = 0; i < v.size(); i += step) {
      cdf << v[i] << " " << static_cast<double>(i + 1) / static_cast<double>(v.size()) << "\n";
    }
    cdf << v.back() << " 1\n";
  };
  fill(poll, hp, cdf_p);
  fill(block, hb, cdf_b);
  for (int i = 0; i < kBins; ++i) {
    const double center = lo * std::pow(hi / lo, (i + 0.5) / kBins);
    hist << center << " " << hp[i] << " " << hb[i] << "\n";
  }
  for (const auto& s : r.scaling) scal << s.endpoints << " " << s.msgs_per_s() / 1e6 << "\n";
  hist.close();
  cdf_p.close();
  cdf_b.close();
  scal.close();
  std::ofstream gp(dir + "/bench.gp");
  for (const char* ext : {"svg", "png"}) {
    const std::string term = std::string(ext) == "svg"
                                 ? "set terminal svg size 800,480 dynamic font 'sans,11'"
                                 : "set terminal pngcairo size 800,480 font 'sans,10'";
    gp << term << "\nset grid\nset key top right\nset logscale x\n"
       << "set output 'latency_hist." << ext << "'\n"
       << "set title 'echo round trip, 16 B: distribution (fraction per log-spaced bin, up to "
          "p99.9)'\nset xlabel 'round trip (us)'\nset ylabel 'fraction of round trips'\n"
       << "plot 'latency_hist.dat' using 1:2 with steps lw 2 title 'polling', "
          "'' using 1:3 with steps lw 2 title 'blocking'\n"
       << "set output 'latency_cdf." << ext << "'\nset key bottom right\n"
       << "set title 'echo round trip, 16 B: CDF'\nset ylabel 'fraction <= x'\n"
       << "set yrange [0:1]\n"
       << "plot 'latency_cdf_polling.dat' using 1:2 with lines lw 2 title 'polling', "
          "'latency_cdf_blocking.dat' using 1:2 with lines lw 2 title 'blocking'\n"
       << "set autoscale y\nset output 'scaling." << ext << "'\nset logscale x 2\n"
       << "set title 'remote -> host streaming, 16 B, spread over N host endpoints'\n"
       << "set xlabel 'endpoints'\nset ylabel 'M messages/s'\nset yrange [0:*]\n"
       << "plot 'scaling.dat' using 1:2 with linespoints lw 2 pt 7 title 'msgs/s'\n"
       << "unset logscale\nset yrange [*:*]\nset autoscale\n";
  }
  gp.close();
  const std::string cmd = "cd '" + dir + "' && gnuplot bench.gp";
  if (std::system(cmd.c_str()) != 0) return DataLoss("gnuplot failed");
  std::fprintf(stderr, "bench: pictures in %s (latency_hist, latency_cdf, scaling: .svg .png)\n",
               dir.c_str());
  return OkStatus();
}

}  // namespace tandem::cli::bench
