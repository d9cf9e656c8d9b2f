#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen_netsh_xml.py - a large netsh "show filters" dump for import timing.

usage: gen_netsh_xml.py N > filters.xml

N filters in the filters.xml shape of spec 7.2, spread over the ALE
connect/recv-accept layers, three sublayers and two providers, with 2-6
conditions each drawn from the value encodings real dumps carry (ports,
port ranges, v4/v6 addresses, masks and ranges, protocols, app ids as
UTF-16LE hex, SIDs, SDDL, flags).  Deterministic for a given N.
"""
import random
import sys

LAYERS = ['FWPM_LAYER_ALE_AUTH_CONNECT_V4', 'FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4',
          'FWPM_LAYER_ALE_AUTH_CONNECT_V6', 'FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V6']
SUBLAYERS = ['FWPM_SUBLAYER_MPSSVC_WF', 'FWPM_SUBLAYER_MPSSVC_WSH',
             '{aa11bb22-cc33-dd44-ee55-ff6677889902}']


def val(t, member, v):
    return f'<type>{t}</type><{member}>{v}</{member}>'


def cond(field, match, value):
    return (f'<item><fieldKey>FWPM_CONDITION_{field}</fieldKey>'
            f'<matchType>FWP_MATCH_{match}</matchType>'
            f'<conditionValue>{value}</conditionValue></item>')


def conds(r, v6):
    out = []
    out.append(cond('IP_PROTOCOL', 'EQUAL', val('FWP_UINT8', 'uint8', r.choice([6, 17]))))
    k = r.randrange(5)
    if k == 0:
        out.append(cond('IP_REMOTE_PORT', 'EQUAL', val('FWP_UINT16', 'uint16', r.randrange(1, 65536))))
    elif k == 1:
        lo = r.randrange(1, 60000)
        out.append(cond('IP_REMOTE_PORT', 'RANGE', '<type>FWP_RANGE_TYPE</type><rangeValue>'
                        f'<valueLow>{val("FWP_UINT16", "uint16", lo)}</valueLow>'
                        f'<valueHigh>{val("FWP_UINT16", "uint16", lo + 100)}</valueHigh></rangeValue>'))
    if v6:
        a = f'2001:db8:{r.randrange(65536):x}::{r.randrange(65536):x}'
        out.append(cond('IP_REMOTE_ADDRESS', 'EQUAL', '<type>FWP_V6_ADDR_MASK</type><v6AddrMask>'
                        f'<addr>{a}</addr><prefixLength>{r.choice([48, 64, 128])}</prefixLength></v6AddrMask>'))
    elif r.randrange(2):
        a = f'10.{r.randrange(256)}.{r.randrange(256)}.0'
        out.append(cond('IP_REMOTE_ADDRESS', 'EQUAL', '<type>FWP_V4_ADDR_MASK</type><v4AddrMask>'
                        f'<addr>{a}</addr><mask>255.255.255.0</mask></v4AddrMask>'))
    else:
        out.append(cond('IP_REMOTE_ADDRESS', 'EQUAL', val('FWP_UINT32', 'uint32',
                        f'192.168.{r.randrange(256)}.{r.randrange(256)}')))
    if r.randrange(2):
        path = f'\\device\\harddiskvolume3\\program files\\app{r.randrange(5000)}\\bin\\app.exe'
        data = (path.encode('utf-16-le') + b'\0\0').hex()
        out.append(cond('ALE_APP_ID', 'EQUAL', '<type>FWP_BYTE_BLOB_TYPE</type><byteBlob>'
                        f'<data>{data}</data><asString>{path}</asString></byteBlob>'))
    if r.randrange(3) == 0:
        out.append(cond('ALE_USER_ID', 'EQUAL', val('FWP_SECURITY_DESCRIPTOR_TYPE', 'sd',
                        'O:LSD:(A;;CC;;;S-1-5-21-1-2-3-1001)(A;;CC;;;WD)')))
    if r.randrange(3) == 0:
        out.append(cond('ALE_PACKAGE_ID', 'NOT_EQUAL', val('FWP_SID', 'sid', 'S-1-0-0')))
    if r.randrange(4) == 0:
        out.append(cond('FLAGS', 'FLAGS_NONE_SET', val('FWP_UINT32', 'uint32', 1)))
    return out


def main():
    n = int(sys.argv[1])
    r = random.Random(n)
    w = sys.stdout.write
    w('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<wfpdiag>\n')
    w(f' <filters numItems="{n}">\n')
    for i in range(n):
        layer = LAYERS[i % 4]
        c = conds(r, layer.endswith('V6'))
        action = r.choice(['FWP_ACTION_PERMIT', 'FWP_ACTION_BLOCK'])
        w(f'  <item><filterKey>{{{i:08x}-0000-4000-8000-{r.randrange(1 << 48):012x}}}</filterKey>'
          f'<displayData><name>Rule {i}</name><description/></displayData><flags/>'
          f'<providerKey>FWPM_PROVIDER_MPSSVC_WF</providerKey><providerData/>'
          f'<layerKey>{layer}</layerKey><subLayerKey>{SUBLAYERS[i % 3]}</subLayerKey>'
          f'<weight><type>FWP_EMPTY</type></weight>'
          f'<filterCondition numItems="{len(c)}">{"".join(c)}</filterCondition>'
          f'<action><type>{action}</type><filterType/></action>'
          f'<rawContext>0</rawContext><reserved/><filterId>{70000 + i}</filterId>'
          f'<effectiveWeight><type>FWP_UINT64</type><uint64>{r.randrange(1 << 60)}</uint64>'
          f'</effectiveWeight></item>\n')
    w(' </filters>\n <providers numItems="1"><item><providerKey>FWPM_PROVIDER_MPSSVC_WF'
      '</providerKey><displayData><name>Microsoft Corporation</name><description/>'
      '</displayData><flags/><providerData/><serviceName>MpsSvc</serviceName></item>'
      '</providers>\n</wfpdiag>\n')


if __name__ == '__main__':
    main()
