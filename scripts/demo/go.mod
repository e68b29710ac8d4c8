module github.com/globalautomation/gahost/scripts/demo

go 1.26.0
