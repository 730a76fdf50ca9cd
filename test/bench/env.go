package main

import (
	"fmt"
	"strings"
)

// envSizes are the environments `init true` runs with: what `docker run`
// gives (6 variables), and an ordinary Kubernetes pod's (200: the API
// server's and every service's of the namespace, KUBERNETES_SERVICE_HOST and
// the like).
var envSizes = []int{6, 200}

// podServices name the services whose variables fill a pod's environment.
var podServices = []string{
	"frontend", "cart", "checkout", "currency", "email", "payment", "shipping",
	"product-catalog", "recommendation", "ad", "redis-cart", "postgres",
	"kafka", "zookeeper", "elasticsearch", "prometheus", "grafana",
	"alertmanager", "jaeger-collector", "jaeger-query", "loki", "rabbitmq",
	"memcached", "mongodb", "mysql", "nats", "minio", "vault",
}

// env is an environment of n variables, the same for every contender. The
// first six are the container's: PATH, HOSTNAME, HOME, TERM, and vigil's two
// that keep it off the host's paths (its run directory, and an empty
// services directory). vigil's other directories are left at their defaults,
// which do not exist here (checked at start).
func (b *bench) env(n int) []string {
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOSTNAME=web-7d9f8c6b5d-x2k4q",
		"HOME=/root",
		"TERM=xterm",
		"VIGIL_RUN_DIR=" + b.work + "/run6",
		"VIGIL_SERVICES_DIR=" + b.work + "/empty",
	}
	return append(env, podEnv(n-len(env))...)[:n]
}

// podEnv is at least n variables as Kubernetes sets them for the services of
// a pod's namespace: the API server's first, then each service's seven.
func podEnv(n int) []string {
	var env []string
	add := func(name, ip string, port int) {
		p := strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		url := fmt.Sprintf("tcp://%s:%d", ip, port)
		env = append(env,
			fmt.Sprintf("%s_SERVICE_HOST=%s", p, ip),
			fmt.Sprintf("%s_SERVICE_PORT=%d", p, port),
			fmt.Sprintf("%s_PORT=%s", p, url),
			fmt.Sprintf("%s_PORT_%d_TCP=%s", p, port, url),
			fmt.Sprintf("%s_PORT_%d_TCP_PROTO=tcp", p, port),
			fmt.Sprintf("%s_PORT_%d_TCP_PORT=%d", p, port, port),
			fmt.Sprintf("%s_PORT_%d_TCP_ADDR=%s", p, port, ip))
	}
	add("kubernetes", "10.96.0.1", 443)
	env = append(env, "KUBERNETES_SERVICE_PORT_HTTPS=443")
	for i := 0; len(env) < n; i++ {
		name := podServices[i%len(podServices)]
		if i >= len(podServices) { // no two services of one name
			name += fmt.Sprint("-", i/len(podServices))
		}
		add(name, fmt.Sprintf("10.96.%d.%d", 1+i/200, 10+i%200), 8080+i)
	}
	return env
}

// withRunDir is env with VIGIL_RUN_DIR set to dir.
func withRunDir(env []string, dir string) []string {
	for i, kv := range env {
		if strings.HasPrefix(kv, "VIGIL_RUN_DIR=") {
			env[i] = "VIGIL_RUN_DIR=" + dir
		}
	}
	return env
}
