"""Inventory on the agent: what this host runs, as AWS's inventory types.

Each gatherer is a command (or a file read) and a pure parser of its output, so the
parsers are tested from captured outputs (tests/fixtures/inventory):

    items.py          InventoryItem: one type's rows, its capture time and ContentHash
    applications.py   AWS:Application from dpkg-query or rpm, AWS:AWSComponent
    network.py        AWS:Network from ``ip -j addr``, ``ip -j route`` and resolv.conf
    services.py       AWS:Service from systemd unit files and systemctl's listings
    files.py          AWS:File: the ``files`` parameter's searches and their limits
    instance.py       AWS:InstanceDetailedInformation from lscpu and /proc/cpuinfo
    custom.py         Custom: types from the custom inventory folder's JSON files
    probe.py          runs a gatherer's command with CPU and memory limits, counting its cost
    collect.py        the parameters of aws:softwareInventory → the items to report
"""
