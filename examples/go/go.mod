module example.com/footprint-go

go 1.22
