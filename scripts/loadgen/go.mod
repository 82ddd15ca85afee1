module irs/loadgen

go 1.21
