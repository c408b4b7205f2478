package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"neutrino/internal/netnstest"
)

// scrapeIn GETs url from inside namespace ns (the node's 127.0.0.1 is the
// namespace's own).
func scrapeIn(ns *netnstest.NS, url string) (string, error) {
	client := &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var c net.Conn
			err := ns.Do(func() error {
				var err error
				c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
				return err
			})
			return c, err
		}},
	}
	defer client.CloseIdleConnections()
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s\n%s", url, resp.Status, body)
	}
	return string(body), nil
}

// metricValue returns the value of the series line that starts with
// series (name{labels}).
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no %s in /metrics:\n%s", series, text)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A running node serves /metrics on --metrics: after a ping between its
// two lab hosts, their ports' frames are there. A second node on the same
// address fails at start and creates nothing; the endpoint stops with the
// node.
func TestMetricsEndpoint(t *testing.T) {
	requireNetnsTools(t, "ping")
	bin := buildBinary(t)
	ns1, ns2 := uniqueNetns(t, "ntma"), uniqueNetns(t, "ntmb")
	sw := netnstest.New(t, "ntsw")
	const addr = "127.0.0.1:9478"
	n := startNetnsNode(t, bin, fmt.Sprintf(netnsLab, ns1, ns2), sw, "--node", "local", "--metrics", addr)
	n.waitRunning(t)
	if !strings.Contains(n.Output(), "serving metrics") {
		t.Errorf("the node does not say where its metrics are:\n%s", n.Output())
	}
	if out, err := netnstest.Run(context.Background(), "ip", "netns", "exec", ns1, "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.61.0.12"); err != nil {
		t.Fatalf("h1 -> h2: %v\n%s\nnode:\n%s", err, out, n.Output())
	}
	text, err := scrapeIn(sw, "http://"+addr+"/metrics")
	if err != nil {
		t.Fatalf("scrape: %v\nnode:\n%s", err, n.Output())
	}
	for _, port := range []string{"h1", "h2"} {
		series := `neutrino_port_rx_frames_total{kind="port",node="local",port="` + port + `"}`
		if v := metricValue(t, text, series); v < 3 {
			t.Errorf("%s = %v after 3 pings each way, want at least 3", series, v)
		}
	}
	for _, want := range []string{
		"# HELP neutrino_port_rx_frames_total ",
		"# TYPE neutrino_port_rx_frames_total counter",
		`neutrino_fdb_entries{node="local"} `,
		`neutrino_conntrack_entries{node="local"} `,
		`neutrino_link_events_total{counter="rx_super_frames",kind="port",node="local",port="h1"} `,
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if _, err := scrapeIn(sw, "http://"+addr+"/nothing"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("GET /nothing: %v, want 404", err)
	}

	// A second node on the same address: a clear error, and none of its
	// namespaces.
	ns3, ns4 := uniqueNetns(t, "ntmc"), uniqueNetns(t, "ntmd")
	second := startNetnsNode(t, bin, fmt.Sprintf(netnsLab, ns3, ns4), sw, "--metrics", addr)
	if code := second.wait(t, 10*time.Second); code != 1 || !strings.Contains(second.Output(), "--metrics "+addr+": bind: address already in use") {
		t.Errorf("second node on %s: exit %d\n%s", addr, code, second.Output())
	}
	requireNetnsGone(t, ns3, ns4)

	if code := n.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("node exit %d\n%s", code, n.Output())
	}
	if _, err := scrapeIn(sw, "http://"+addr+"/metrics"); err == nil {
		t.Error("/metrics still answers after the node stopped")
	}
}
