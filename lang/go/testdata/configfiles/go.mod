module example.com/configsvc

go 1.26
