module github.com/vigil-init/vigil

go 1.26.8

require (
	github.com/kelseyhightower/envconfig v1.4.0
	golang.org/x/sys v0.49.0
)
