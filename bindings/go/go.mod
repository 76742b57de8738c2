module wsc.example/wsc

go 1.19
