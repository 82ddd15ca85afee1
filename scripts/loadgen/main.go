// loadgen: fires pre-made HTTP POST bodies (or GETs) at a URL with fixed concurrency and prints JSON.
//
// Why Go: on a 2-core machine the load generator competes with the server for CPU; a Python
// client would spend more CPU per request than the server path being measured.
//
//	loadgen -url URL -token TOKEN -bodies FILE -concurrency 32
//
// FILE has one request body per line (each used once, in order). Output: one JSON object with
// requests, seconds, rps, latency percentiles (ms), HTTP status counts and how many answers
// contained -expect (e.g. "LicensedResponse").
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "", "target URL")
	token := flag.String("token", "", "bearer token")
	bodies := flag.String("bodies", "", "file with one request body per line")
	concurrency := flag.Int("concurrency", 32, "requests in flight")
	expect := flag.String("expect", "", "substring a good answer contains")
	method := flag.String("method", "POST", "POST sends each line as the body; GET sends none")
	flag.Parse()
	if *url == "" || *bodies == "" {
		fmt.Fprintln(os.Stderr, "usage: loadgen -url URL -bodies FILE [-token T] [-concurrency N] [-expect S] [-method GET]")
		os.Exit(2)
	}
	f, err := os.Open(*bodies)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var lines [][]byte
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 1<<20), 1<<24)
	for scanner.Scan() {
		lines = append(lines, append([]byte(nil), scanner.Bytes()...))
	}
	f.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *concurrency}, Timeout: 60 * time.Second}
	work := make(chan []byte)
	latencies := make([]float64, 0, len(lines))
	statuses := map[int]int{}
	good := 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range work {
				var payload io.Reader
				if *method == "POST" {
					payload = bytes.NewReader(body)
				}
				req, _ := http.NewRequest(*method, *url, payload)
				req.Header.Set("Content-Type", "application/json")
				if *token != "" {
					req.Header.Set("Authorization", "Bearer "+*token)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				status := 0
				var answer []byte
				if err == nil {
					answer, _ = io.ReadAll(resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
				}
				ms := float64(time.Since(t0).Microseconds()) / 1000
				mu.Lock()
				latencies = append(latencies, ms)
				statuses[status]++
				if *expect != "" && bytes.Contains(answer, []byte(*expect)) {
					good++
				}
				mu.Unlock()
			}
		}()
	}
	for _, line := range lines {
		work <- line
	}
	close(work)
	wg.Wait()
	seconds := time.Since(start).Seconds()
	sort.Float64s(latencies)
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[int(p*float64(len(latencies)-1))]
	}
	codes := map[string]int{}
	for k, v := range statuses {
		codes[fmt.Sprint(k)] = v
	}
	out, _ := json.Marshal(map[string]any{
		"requests": len(latencies), "seconds": seconds, "rps": float64(len(latencies)) / seconds,
		"p50_ms": pct(0.5), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "status": codes, "expected": good,
	})
	fmt.Println(string(out))
}
