package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"zhi/internal/shared"
)

// The tests run the real command, "zhi serve", as a subprocess and talk to
// it over HTTP, as any client would.

const (
	testKey   = "sk-test-key"
	testModel = "tiny"
)

var (
	// zhiBuildFlags are the flags of "go build" for the server binary.
	zhiBuildFlags []string

	// zhiDir holds the binary built for the tests; TestMain removes it.
	zhiDir   string
	buildZhi sync.Once
	zhiBin   string
	buildErr error

	// The server most tests share: four slots, a small context, a key.
	sharedOnce sync.Once
	sharedZhi  *zhiServer
	sharedErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedZhi != nil {
		sharedZhi.stop()
		if problem := sharedZhi.problem(); problem != "" {
			fmt.Fprintf(os.Stderr, "the shared server %s\n", problem)
			code = 1
		}
	}
	if zhiDir != "" {
		os.RemoveAll(zhiDir)
	}
	os.Exit(code)
}

// zhiBinary builds cmd/zhi once for the whole test run.
func zhiBinary(t testing.TB) string {
	t.Helper()
	buildZhi.Do(func() {
		if zhiDir, buildErr = os.MkdirTemp("", "zhi-serve-test-"); buildErr != nil {
			return
		}
		zhiBin = zhiDir + "/zhi"
		args := append(append([]string{"build"}, zhiBuildFlags...), "-o", zhiBin, "zhi/cmd/zhi")
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build zhi/cmd/zhi: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return zhiBin
}

// zhiServer is a running "zhi serve".
type zhiServer struct {
	url    string
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // of Wait, once exited is closed

	mu     sync.Mutex
	stderr bytes.Buffer // what it printed after the "serving" line
}

var servingLine = regexp.MustCompile(`^zhi: serving (\S+) on (http://\S+)$`)

// startZhi runs "zhi serve" on the tiny Llama 3 model on a free port,
// with extra flags, and waits until it listens. Cleanup stops it.
func startZhi(t testing.TB, args ...string) *zhiServer {
	t.Helper()
	s, err := launchZhi(zhiBinary(t), shared.Path(t, "reference", "tiny-llama3-q4_k_m.gguf"), args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.stop()
		if problem := s.problem(); problem != "" {
			t.Errorf("the server %s", problem)
		}
	})
	return s
}

// sharedServer is the server most tests use, started on first use.
func sharedServer(t testing.TB) *zhiServer {
	t.Helper()
	bin := zhiBinary(t)
	model := shared.Path(t, "reference", "tiny-llama3-q4_k_m.gguf")
	sharedOnce.Do(func() {
		sharedZhi, sharedErr = launchZhi(bin, model,
			"--parallel", "4", "--ctx", "256", "--api-key", testKey, "--alias", testModel)
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedZhi
}

func launchZhi(bin, model string, args ...string) (*zhiServer, error) {
	cmd := exec.Command(bin, append([]string{"serve", "-m", model, "--port", "0"}, args...)...)
	cmd.Env = append(os.Environ(), "ZHI_API_KEY=") // only --api-key sets a key here
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &zhiServer{cmd: cmd, exited: make(chan struct{})}
	urls := make(chan string, 1)
	go func() {
		r := bufio.NewReader(pipe)
		listening := false
		for {
			line, err := r.ReadString('\n')
			if m := servingLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil && !listening {
				listening = true
				urls <- m[2]
			} else {
				s.mu.Lock()
				s.stderr.WriteString(line)
				s.mu.Unlock()
			}
			if err != nil {
				break
			}
		}
		s.err = cmd.Wait()
		close(s.exited)
	}()
	select {
	case s.url = <-urls:
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("zhi serve exited before listening: %v\n%s", s.err, s.output())
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, fmt.Errorf("zhi serve did not print its address in 30 s:\n%s", s.output())
	}
}

// output is what the server printed besides its address.
func (s *zhiServer) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// problem describes what the server reported that no test expects: a data
// race (under -race) or a recovered panic; "" if none.
func (s *zhiServer) problem() string {
	out := s.output()
	for _, sign := range []string{"WARNING: DATA RACE", "zhi: panic"} {
		if strings.Contains(out, sign) {
			return "reported " + sign + ":\n" + out
		}
	}
	return ""
}

// stop sends SIGTERM and waits for the exit, killing the process if it
// takes more than 10 s.
func (s *zhiServer) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// client is an OpenAI SDK client for the server, with the given key and no
// retries, so that every error reaches the test.
func (s *zhiServer) client(key string) *openai.Client {
	c := openai.NewClient(option.WithBaseURL(s.url+"/v1"), option.WithAPIKey(key), option.WithMaxRetries(0))
	return &c
}

// call sends a raw request and returns the status, the body and the
// headers. body may be a string, []byte, io.Reader or nil.
func (s *zhiServer) call(t testing.TB, method, path, key string, body any) (int, []byte, http.Header) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	case io.Reader:
		r = b
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data, resp.Header
}

// metrics reads /metrics into a map from series (name and labels) to value.
func (s *zhiServer) metrics(t testing.TB, key string) map[string]float64 {
	t.Helper()
	status, body, _ := s.call(t, "GET", "/metrics", key, nil)
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", status, body)
	}
	m := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("metrics line %q is not \"series value\"", line)
		}
		m[line[:i]] = v
	}
	return m
}

// waitMetric polls /metrics until series satisfies ok, for up to 10 s.
func (s *zhiServer) waitMetric(t testing.TB, key, series string, ok func(float64) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v := s.metrics(t, key)[series]
		if ok(v) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is still %v after 10 s", series, v)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sseEvents reads a response body of server-sent events and returns each
// event's data.
func sseEvents(t testing.TB, body io.Reader) []string {
	t.Helper()
	var events []string
	sc := bufio.NewScanner(body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			events = append(events, data)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return events
}

// errorOf decodes an error body, failing unless it has OpenAI's shape.
func errorOf(t testing.TB, body []byte) (message, typ string, param, code *string) {
	t.Helper()
	var e struct {
		Error *struct {
			Message *string `json:"message"`
			Type    *string `json:"type"`
			Param   *string `json:"param"`
			Code    *string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error == nil || e.Error.Message == nil || e.Error.Type == nil || *e.Error.Message == "" {
		t.Fatalf("error body %s is not {\"error\":{\"message\",\"type\",\"param\",\"code\"}}", body)
	}
	return *e.Error.Message, *e.Error.Type, e.Error.Param, e.Error.Code
}

// testContext is a context that ends with the test, or after 60 s.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
