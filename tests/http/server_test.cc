// The HTTP server against a real client (curl) on 127.0.0.1: answers, the
// status codes it sends itself, keep-alive, and a handler that throws.
#include "http/server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "support/test_data.h"

namespace eventlens::http {
namespace {

// Runs curl with `args`; returns what it printed (the body, or what -w asks).
std::string curl(const std::string& args) {
  // One file per process: ctest runs these tests as processes side by side.
  const std::string out = std::string(EVENTLENS_TEST_TMP) + "/http-curl-" + std::to_string(getpid()) + ".out";
  const std::string command = "curl -s --max-time 10 " + args + " > " + out;
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return testing::read_file(out);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.max_body_bytes = 1000;
    auto s = HttpServer::start(options, [this](const Request& r) -> Response {
      ++calls;
      if (r.target == "/boom") throw std::runtime_error("boom");
      if (r.target.rfind("/echo", 0) == 0) return {200, "text/plain", r.method + " " + r.target + " " + r.body};
      return {404, "text/plain", "no\n"};
    });
    ASSERT_TRUE(s) << s.error().to_string();
    server = std::move(*s);
    base = "http://127.0.0.1:" + std::to_string(server->port());
  }
  std::unique_ptr<HttpServer> server;
  std::string base;
  std::atomic<int> calls{0};
};

TEST_F(HttpServerTest, AnswersWhatTheHandlerSays) {
  EXPECT_EQ(curl(base + "/echo?x=1"), "GET /echo?x=1 ");
  EXPECT_EQ(curl("-X POST --data-binary hello " + base + "/echo"), "POST /echo hello");
  EXPECT_EQ(curl("-o /dev/null -w '%{http_code}' " + base + "/other"), "404");
}

TEST_F(HttpServerTest, RefusesABodyOverTheLimitWith413) {
  const std::string big(5000, 'x');
  EXPECT_EQ(curl("-o /dev/null -w '%{http_code}' --data-binary " + big + " " + base + "/echo"), "413");
  EXPECT_EQ(calls.load(), 0) << "the handler never saw it";
}

TEST_F(HttpServerTest, AThrowingHandlerIsThatRequests500AndTheServerGoesOn) {
  EXPECT_EQ(curl("-o /dev/null -w '%{http_code}' " + base + "/boom"), "500");
  EXPECT_EQ(curl(base + "/echo"), "GET /echo ");
}

TEST_F(HttpServerTest, KeepsAConnectionAliveAcrossRequests) {
  // One curl, two URLs: the second reuses the first's connection.
  const std::string out = curl("-w '%{num_connects}\\n' " + base + "/echo " + base + "/echo");
  EXPECT_EQ(out, "GET /echo 1\nGET /echo 0\n");
}

TEST(HttpServer, RefusesAnAddressItCannotListenOn) {
  ServerOptions options;
  options.listen = "not-an-address:80";
  auto s = HttpServer::start(options, [](const Request&) { return Response{}; });
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().reason.find("not-an-address"), std::string::npos);
}

}  // namespace
}  // namespace eventlens::http
