package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The packaging files, from this package's folder.
const (
	dockerfile   = "../../Dockerfile"
	dockerIgnore = "../../.dockerignore"
	composeFile  = "../../compose.yaml"
	kubeFile     = "../../deploy/kubernetes.yaml"
	envExample   = "../../.env.example"
	readmeFile   = "../../README.md"
	goModFile    = "../../go.mod"
)

// runtimeOnly are variables that Go's runtime reads and loadConfig does
// not: .env.example documents them, but they have no effect in a .env.
var runtimeOnly = map[string]bool{"GOMEMLIMIT": true}

// deployment is what the packaging files say about the bot's process.
type deployment struct {
	file  string
	env   map[string]string
	ports []int // the ports the bot's process is reached on in the container
}

// TestPackagingMatchesTheBinary keeps the Dockerfile, compose.yaml and
// deploy/kubernetes.yaml in step with the program: their variables are
// settings it reads, documented in .env.example, with values it accepts;
// their ports are the one it listens on; their probes are paths it serves;
// their image is the one the README builds.
func TestPackagingMatchesTheBinary(t *testing.T) {
	t.Parallel()
	df := readDockerfile(t)
	compose := readCompose(t)
	kube := readKube(t)
	deployments := []deployment{df.deployment, compose.deployment, kube.deployment}

	defaults, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defaultPort := portOf(t, defaults.ListenAddr)

	t.Run("variables are documented settings with accepted values", func(t *testing.T) {
		example := readFile(t, envExample)
		read := map[string]bool{}
		loadConfig(func(k string) string { read[k] = true; return "" })
		for _, d := range deployments {
			if len(d.env) == 0 {
				t.Errorf("%s sets no variables: the parser found none", d.file)
			}
			for name := range d.env {
				if !regexp.MustCompile(`(?m)^#? ?` + regexp.QuoteMeta(name) + `=`).MatchString(example) {
					t.Errorf("%s sets %s, which .env.example does not document", d.file, name)
				}
				if !read[name] && !runtimeOnly[name] {
					t.Errorf("%s sets %s, which the program does not read", d.file, name)
				}
			}
			if _, err := loadConfig(func(k string) string { return d.env[k] }); err != nil {
				t.Errorf("the settings of %s are refused: %v", d.file, err)
			}
		}
	})

	t.Run("ports are the one the bot listens on", func(t *testing.T) {
		if len(df.expose) != 1 || df.expose[0] != defaultPort {
			t.Errorf("Dockerfile EXPOSE %v, want [%d] (LISTEN_ADDR's default %s)", df.expose, defaultPort, defaults.ListenAddr)
		}
		for _, d := range deployments {
			want := defaultPort
			if addr := d.env["LISTEN_ADDR"]; addr != "" {
				want = portOf(t, addr)
			}
			if want != defaultPort {
				t.Errorf("%s: LISTEN_ADDR %s, not the port the image exposes (%d)", d.file, d.env["LISTEN_ADDR"], defaultPort)
			}
			for _, p := range d.ports {
				if p != want {
					t.Errorf("%s reaches the bot on port %d, but it listens on %d", d.file, p, want)
				}
			}
		}
		if len(compose.ports) == 0 || len(kube.ports) == 0 {
			t.Errorf("ports found: compose.yaml %v, kubernetes.yaml %v; want some in each", compose.ports, kube.ports)
		}
	})

	t.Run("probes and scrapes are paths the server serves", func(t *testing.T) {
		if len(kube.paths) < 2 {
			t.Fatalf("kubernetes.yaml probes %v, want readiness and liveness", kube.paths)
		}
		s := startServer(t, map[string]string{})
		for _, p := range kube.paths {
			if code, body := s.get(p); code != 200 {
				t.Errorf("kubernetes.yaml uses GET %s: %d %q", p, code, body)
			}
		}
	})

	t.Run("the image is the one the README builds", func(t *testing.T) {
		m := regexp.MustCompile("docker build -t ([^ `]+) \\.").FindStringSubmatch(readFile(t, readmeFile))
		if m == nil {
			t.Fatal("README.md does not say how to build the image (docker build -t NAME .)")
		}
		name := strings.TrimSuffix(m[1], ":latest")
		if compose.image != name || !compose.build {
			t.Errorf("compose.yaml builds %v image %q, want the README's %q built from the Dockerfile", compose.build, compose.image, name)
		}
		// A registry's copy of it (registry.example.com/supportbot:v1) is fine.
		repo, _, _ := strings.Cut(kube.image, ":")
		if path.Base(repo) != name {
			t.Errorf("kubernetes.yaml runs image %q, not the README's %q", kube.image, m[1])
		}
	})

	t.Run("the build uses go.mod's Go and leaves .env out", func(t *testing.T) {
		m := regexp.MustCompile(`(?m)^go (\S+)`).FindStringSubmatch(readFile(t, goModFile))
		if m == nil {
			t.Fatal("go.mod names no Go version")
		}
		if df.goTag == "" || !strings.HasPrefix(m[1]+".", df.goTag+".") {
			t.Errorf("the Dockerfile builds with golang:%s, go.mod asks for go %s", df.goTag, m[1])
		}
		ignored := false
		for _, line := range strings.Split(readFile(t, dockerIgnore), "\n") {
			if ok, _ := path.Match(strings.TrimSpace(line), ".env"); ok {
				ignored = true
			}
		}
		if !ignored {
			t.Error(".dockerignore does not leave .env (secrets) out of the build")
		}
	})
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	n, err2 := strconv.Atoi(p)
	if err != nil || err2 != nil {
		t.Fatalf("address %q has no port", addr)
	}
	return n
}

type dockerfileFacts struct {
	deployment
	expose []int
	goTag  string // the golang image's tag, "1.26"
}

// readDockerfile reads the instructions of the last stage (the image that
// runs) and the golang image of the build stage. Continued lines are
// joined; ENV takes KEY=VALUE pairs.
func readDockerfile(t *testing.T) dockerfileFacts {
	t.Helper()
	f := dockerfileFacts{deployment: deployment{file: "Dockerfile"}}
	sc := bufio.NewScanner(strings.NewReader(readFile(t, dockerfile)))
	var line string
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "#") || text == "" && line == "" {
			continue
		}
		if cont, ok := strings.CutSuffix(text, "\\"); ok {
			line += cont + " "
			continue
		}
		line += text
		fields := strings.Fields(line)
		line = ""
		if len(fields) == 0 {
			continue
		}
		switch args := fields[1:]; strings.ToUpper(fields[0]) {
		case "FROM":
			f.env, f.expose = map[string]string{}, nil
			if tag, ok := strings.CutPrefix(args[0], "golang:"); ok {
				f.goTag, _, _ = strings.Cut(tag, "-")
			}
		case "ENV":
			for _, kv := range args {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					t.Fatalf("Dockerfile: ENV %s: write KEY=VALUE", strings.Join(args, " "))
				}
				f.env[k] = strings.Trim(v, `"`)
			}
		case "EXPOSE":
			for _, p := range args {
				n, err := strconv.Atoi(strings.TrimSuffix(p, "/tcp"))
				if err != nil {
					t.Fatalf("Dockerfile: EXPOSE %s", p)
				}
				f.expose = append(f.expose, n)
			}
		}
	}
	f.ports = f.expose
	return f
}

type composeFacts struct {
	deployment
	image string
	build bool
}

// readCompose reads the service that compose.yaml builds from the
// Dockerfile: the bot.
func readCompose(t *testing.T) composeFacts {
	t.Helper()
	var doc struct {
		Services map[string]struct {
			Build       any      `yaml:"build"`
			Image       string   `yaml:"image"`
			Environment any      `yaml:"environment"` // a map, or a list of KEY=VALUE
			Ports       []string `yaml:"ports"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, composeFile)), &doc); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	c := composeFacts{deployment: deployment{file: "compose.yaml", env: map[string]string{}}}
	for name, s := range doc.Services {
		if s.Build == nil {
			continue
		}
		if c.build {
			t.Fatalf("compose.yaml builds two services (%s too); the test reads one", name)
		}
		c.build, c.image = true, s.Image
		switch env := s.Environment.(type) {
		case map[string]any:
			for k, v := range env {
				c.env[k] = strings.TrimSpace(strings.Trim(yamlString(v), `"`))
			}
		case []any:
			for _, kv := range env {
				k, v, _ := strings.Cut(yamlString(kv), "=")
				c.env[k] = v
			}
		}
		for _, p := range s.Ports { // "8080:8080", "127.0.0.1:8080:8080/tcp"
			p = strings.TrimSuffix(p, "/tcp")
			n, err := strconv.Atoi(p[strings.LastIndex(p, ":")+1:])
			if err != nil {
				t.Fatalf("compose.yaml: %s: port %q", name, p)
			}
			c.ports = append(c.ports, n)
		}
	}
	if !c.build {
		t.Fatal("compose.yaml builds no service from the Dockerfile")
	}
	return c
}

func yamlString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		b, _ := yaml.Marshal(v)
		return strings.TrimSpace(string(b))
	}
}

type kubeFacts struct {
	deployment
	image string
	paths []string // probes' and the scrape's paths
}

// readKube reads the Deployment's container and the Service of
// deploy/kubernetes.yaml.
func readKube(t *testing.T) kubeFacts {
	t.Helper()
	type probe struct {
		HTTPGet struct {
			Path string `yaml:"path"`
			Port any    `yaml:"port"`
		} `yaml:"httpGet"`
	}
	type object struct {
		Kind string `yaml:"kind"`
		Spec struct {
			Template struct {
				Metadata struct {
					Annotations map[string]string `yaml:"annotations"`
				} `yaml:"metadata"`
				Spec struct {
					Containers []struct {
						Image string `yaml:"image"`
						Ports []struct {
							Name          string `yaml:"name"`
							ContainerPort int    `yaml:"containerPort"`
						} `yaml:"ports"`
						Env []struct {
							Name  string `yaml:"name"`
							Value string `yaml:"value"`
						} `yaml:"env"`
						Readiness *probe `yaml:"readinessProbe"`
						Liveness  *probe `yaml:"livenessProbe"`
						Startup   *probe `yaml:"startupProbe"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
			Ports []struct {
				TargetPort any `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
	k := kubeFacts{deployment: deployment{file: "deploy/kubernetes.yaml", env: map[string]string{}}}
	named := map[string]int{}
	var targets []any // what the probes and the Service point at
	dec := yaml.NewDecoder(strings.NewReader(readFile(t, kubeFile)))
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("deploy/kubernetes.yaml: %v", err)
		}
		switch o.Kind {
		case "Deployment":
			cs := o.Spec.Template.Spec.Containers
			if len(cs) != 1 {
				t.Fatalf("deploy/kubernetes.yaml: %d containers, want the bot's alone", len(cs))
			}
			c := cs[0]
			k.image = c.Image
			for _, e := range c.Env {
				k.env[e.Name] = e.Value
			}
			for _, p := range c.Ports {
				named[p.Name] = p.ContainerPort
				k.ports = append(k.ports, p.ContainerPort)
			}
			for _, p := range []*probe{c.Readiness, c.Liveness, c.Startup} {
				if p != nil {
					k.paths = append(k.paths, p.HTTPGet.Path)
					targets = append(targets, p.HTTPGet.Port)
				}
			}
			ann := o.Spec.Template.Metadata.Annotations
			if ann["prometheus.io/scrape"] == "true" {
				k.paths = append(k.paths, ann["prometheus.io/path"])
				targets = append(targets, ann["prometheus.io/port"])
			}
		case "Service":
			for _, p := range o.Spec.Ports {
				targets = append(targets, p.TargetPort)
			}
		}
	}
	for _, p := range targets {
		switch p := p.(type) {
		case int:
			k.ports = append(k.ports, p)
		case string:
			if n, err := strconv.Atoi(p); err == nil {
				k.ports = append(k.ports, n)
			} else if n, ok := named[p]; ok {
				k.ports = append(k.ports, n)
			} else {
				t.Errorf("deploy/kubernetes.yaml points at port %q, which the container does not name", p)
			}
		}
	}
	return k
}
