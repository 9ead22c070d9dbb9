package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies in front of the bot (an ingress, a load
// balancer): only a request that comes from one of them has its
// forwarding headers believed (X-Forwarded-For, X-Forwarded-Proto). Empty:
// a proxy on this machine (loopback) only; any other client could write
// those headers itself.
type Proxies []netip.Prefix

// ParseProxies reads TRUSTED_PROXIES: addresses and networks separated by
// commas ("10.0.0.0/8, 192.168.1.5").
func ParseProxies(s string) (Proxies, error) {
	var ps Proxies
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or a network such as 10.0.0.0/8", f)
			}
			ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or a network such as 10.0.0.0/8", f)
		}
		ps = append(ps, p.Masked())
	}
	return ps, nil
}

// trusted reports whether the peer of r is one of the proxies.
func (ps Proxies) trusted(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	a = a.Unmap()
	if len(ps) == 0 {
		return a, a.IsLoopback()
	}
	for _, p := range ps {
		if p.Contains(a) {
			return a, true
		}
	}
	return a, false
}

// ClientIP is the address a request came from: its peer's, or behind one
// of the proxies, the last address in X-Forwarded-For (the one the proxy
// itself added).
func (ps Proxies) ClientIP(r *http.Request) string {
	peer, ok := ps.trusted(r)
	if !peer.IsValid() {
		return r.RemoteAddr
	}
	if !ok {
		return peer.String()
	}
	xff := r.Header.Values("X-Forwarded-For")
	if len(xff) == 0 {
		return peer.String()
	}
	last := xff[len(xff)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	if a, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
		return a.Unmap().String()
	}
	return peer.String()
}

// Secure reports whether the browser reached the bot over HTTPS (through
// one of the proxies that says so), or it is on this machine: where a
// Secure cookie works.
func (ps Proxies) Secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if _, ok := ps.trusted(r); ok && r.Header.Get("X-Forwarded-Proto") == "https" {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.IsLoopback()
}
