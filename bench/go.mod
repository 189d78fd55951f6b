module github.com/lineradb/lineradb/bench

go 1.26.0

replace github.com/lineradb/lineradb => ../

require (
	github.com/lineradb/lineradb v0.0.0-00010101000000-000000000000
	go.etcd.io/raft/v3 v3.7.0
)

require (
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
