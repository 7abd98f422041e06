{
  "targets": [
    {
      "target_name": "pcap_live",
      "sources": ["pcap_live.c"],
      "libraries": ["-lpcap"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
