# SPDX-License-Identifier: MIT
# gen_win_xml.py - writes win_filters.xml and win_state.xml, hand-made
# netsh wfp dumps in the shape of spec 7.2 (run in tests/parse).
def appid(path):
    return (path.encode('utf-16-le') + b'\0\0').hex()

STORE_PATH = '\\device\\harddiskvolume3\\program files\\windowsapps\\store.exe'
STORE = appid(STORE_PATH)
SVCHOST = appid('svchost.exe')

def item(key, name, layer, sub, weight, conds, action, flags='<flags/>', prov='<providerKey>FWPM_PROVIDER_MPSSVC_WSH</providerKey>', fid=1, eff='<effectiveWeight><type>FWP_UINT64</type><uint64>103079219136</uint64></effectiveWeight>', desc='<description/>'):
    c = ''.join(conds)
    cond = f'<filterCondition numItems="{len(conds)}">{c}\n   </filterCondition>' if conds else '<filterCondition/>'
    return f'''
  <item>
   <filterKey>{key}</filterKey>
   <displayData><name>{name}</name>{desc}</displayData>
   {flags}
   {prov}
   <providerData><data>0100000000000000</data><asString>........</asString></providerData>
   <layerKey>{layer}</layerKey>
   <subLayerKey>{sub}</subLayerKey>
   {weight}
   {cond}
   {action}
   <rawContext>0</rawContext>
   <reserved/>
   <filterId>{fid}</filterId>
   {eff}
  </item>'''

def cond(field, match, value):
    return f'''
    <item><fieldKey>{field}</fieldKey><matchType>{match}</matchType>
     <conditionValue>{value}</conditionValue></item>'''

EMPTY='<weight><type>FWP_EMPTY</type></weight>'
PERMIT='<action><type>FWP_ACTION_PERMIT</type><filterType/></action>'
BLOCK='<action><type>FWP_ACTION_BLOCK</type><filterType/></action>'
items = [
 item('{0a4ec5a2-4e50-4b71-a2c4-5e1f2b3a7c10}', 'InternetClient Default Rule', 'FWPM_LAYER_ALE_AUTH_CONNECT_V6', 'FWPM_SUBLAYER_MPSSVC_WSH', EMPTY, [
   cond('FWPM_CONDITION_ALE_PACKAGE_ID', 'FWP_MATCH_NOT_EQUAL', '<type>FWP_SID</type><sid>S-1-0-0</sid>'),
   cond('FWPM_CONDITION_IP_REMOTE_ADDRESS', 'FWP_MATCH_RANGE', '<type>FWP_RANGE_TYPE</type><rangeValue><valueLow><type>FWP_BYTE_ARRAY16_TYPE</type><byteArray16>::</byteArray16></valueLow><valueHigh><type>FWP_BYTE_ARRAY16_TYPE</type><byteArray16>ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff</byteArray16></valueHigh></rangeValue>'),
   cond('FWPM_CONDITION_ORIGINAL_PROFILE_ID', 'FWP_MATCH_EQUAL', '<type>FWP_UINT32</type><uint32>1</uint32>'),
   cond('FWPM_CONDITION_CURRENT_PROFILE_ID', 'FWP_MATCH_EQUAL', '<type>FWP_UINT32</type><uint32>1</uint32>'),
   cond('FWPM_CONDITION_ALE_USER_ID', 'FWP_MATCH_EQUAL', '<type>FWP_SECURITY_DESCRIPTOR_TYPE</type><sd>O:LSD:(A;;CC;;;S-1-15-3-1)(A;;CC;;;WD)(A;;CC;;;AN)</sd>'),
 ], PERMIT, fid=125918),
 item('{1b5fd6b3-5f61-4c82-b3d5-6f2a3c4b8d21}', 'PrivateNetwork Outbound Default Rule', 'FWPM_LAYER_ALE_AUTH_CONNECT_V4', 'FWPM_SUBLAYER_MPSSVC_WSH', '<weight><type>FWP_UINT8</type><uint8>9</uint8></weight>', [
   cond('FWPM_CONDITION_IP_REMOTE_ADDRESS', 'FWP_MATCH_RANGE', '<type>FWP_RANGE_TYPE</type><rangeValue><valueLow><type>FWP_UINT32</type><uint32>172.16.0.0</uint32></valueLow><valueHigh><type>FWP_UINT32</type><uint32>172.31.255.255</uint32></valueHigh></rangeValue>'),
   cond('FWPM_CONDITION_IP_REMOTE_ADDRESS', 'FWP_MATCH_EQUAL', '<type>FWP_V4_ADDR_MASK</type><v4AddrMask><addr>192.168.0.0</addr><mask>255.255.0.0</mask></v4AddrMask>'),
   cond('FWPM_CONDITION_IP_REMOTE_ADDRESS', 'FWP_MATCH_EQUAL', '<type>FWP_UINT32</type><uint32>1.1.1.1</uint32>'),
 ], PERMIT, flags='<flags numItems="2"><item>FWPM_FILTER_FLAG_PERSISTENT</item><item>FWPM_FILTER_FLAG_INDEXED</item></flags>', fid=125919),
 item('{2c60e7c4-6072-4d93-84e6-7a3b4d5c9e32}', 'Block Outbound Default Rule', 'FWPM_LAYER_ALE_AUTH_CONNECT_V6', 'FWPM_SUBLAYER_MPSSVC_WSH', '<weight><type>FWP_UINT64</type><uint64>274877906944</uint64></weight>', [
   cond('FWPM_CONDITION_IP_REMOTE_ADDRESS', 'FWP_MATCH_EQUAL', '<type>FWP_V6_ADDR_MASK</type><v6AddrMask><addr>fe80::</addr><prefixLength>10</prefixLength></v6AddrMask>'),
   cond('FWPM_CONDITION_IP_LOCAL_ADDRESS', 'FWP_MATCH_EQUAL', '<type>FWP_BYTE_ARRAY16_TYPE</type><byteArray16>2001:db8::5</byteArray16>'),
 ], BLOCK, fid=125920),
 item('{3d71f8d5-7183-4ea4-95f7-8b4c5e6daf43}', '@{Microsoft.WindowsStore}', 'FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4', '{b3cdd441-af90-41ba-a745-7c6008ff2301}', EMPTY, [
   cond('FWPM_CONDITION_ALE_APP_ID', 'FWP_MATCH_EQUAL', f'<type>FWP_BYTE_BLOB_TYPE</type><byteBlob><data>{STORE}</data><asString>{STORE_PATH}</asString></byteBlob>'),
   cond('FWPM_CONDITION_IP_PROTOCOL', 'FWP_MATCH_EQUAL', '<type>FWP_UINT8</type><uint8>6</uint8>'),
   cond('FWPM_CONDITION_IP_PROTOCOL', 'FWP_MATCH_EQUAL', '<type>FWP_UINT8</type><uint8>17</uint8>'),
   cond('FWPM_CONDITION_IP_LOCAL_PORT', 'FWP_MATCH_RANGE', '<type>FWP_RANGE_TYPE</type><rangeValue><valueLow><type>FWP_UINT16</type><uint16>49152</uint16></valueLow><valueHigh><type>FWP_UINT16</type><uint16>65535</uint16></valueHigh></rangeValue>'),
   cond('FWPM_CONDITION_IP_LOCAL_INTERFACE', 'FWP_MATCH_EQUAL', '<type>FWP_UINT64</type><uint64>1688849860263936</uint64>'),
   cond('FWPM_CONDITION_FLAGS', 'FWP_MATCH_FLAGS_NONE_SET', '<type>FWP_UINT32</type><uint32>1</uint32>'),
   cond('FWPM_CONDITION_IP_LOCAL_ADDRESS', 'FWP_MATCH_EQUAL', '<type>FWP_EMPTY</type>'),
 ], PERMIT, desc='<description>Store rule</description>', fid=125921),
 item('{4e82a9e6-8294-4fb5-a608-9c5d6f7eb054}', 'Port Scanning Prevention Filter', 'FWPM_LAYER_INBOUND_TRANSPORT_V4_DISCARD', 'FWPM_SUBLAYER_UNIVERSAL', EMPTY, [
   cond('FWPM_CONDITION_FLAGS', 'FWP_MATCH_FLAGS_ALL_SET', '<type>FWP_UINT32</type><uint32>0</uint32>'),
 ], '<action><type>FWP_ACTION_CALLOUT_TERMINATING</type><calloutKey>FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V4_SILENT_DROP</calloutKey></action>', prov='<providerKey/>', fid=125922),
 item('{5f93bae7-93a5-40c6-b719-ad6e708fc165}', 'Edge traversal', 'FWPM_LAYER_ALE_AUTH_CONNECT_V4', '{15a66e17-3f3c-4f7b-aa6c-812aa613dd82}', EMPTY, [
   cond('FWPM_CONDITION_REAUTHORIZE_REASON', 'FWP_MATCH_FLAGS_ANY_SET', '<type>FWP_UINT32</type><uint32>9</uint32>'),
   cond('FWPM_CONDITION_IP_REMOTE_PORT', 'FWP_MATCH_GREATER_OR_EQUAL', '<type>FWP_UINT16</type><uint16>1024</uint16>'),
   cond('FWPM_CONDITION_ALE_APP_ID', 'FWP_MATCH_PREFIX', f'<type>FWP_BYTE_BLOB_TYPE</type><byteBlob><data>{SVCHOST}</data><asString>svchost.exe</asString></byteBlob>'),
   cond('FWPM_CONDITION_BITMAP_IP_LOCAL_PORT', 'FWP_MATCH_EQUAL', '<type>FWP_BITMAP_INDEX_TYPE</type><bitmapIndex>12</bitmapIndex>'),
 ], '<action><type>FWP_ACTION_CALLOUT_UNKNOWN</type><calloutKey>{aa11bb22-cc33-dd44-ee55-ff6677889904}</calloutKey></action>', flags='<flags numItems="3"><item>FWPM_FILTER_FLAG_PERSISTENT</item><item>FWPM_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED</item><item>FWPM_FILTER_FLAG_SILENT_MODE</item></flags>', prov='<providerKey>{aa11bb22-cc33-dd44-ee55-ff6677889900}</providerKey>', fid=125923),
 item('{6fa4cbf8-a4b6-41d7-8820-be7f819ad276}', 'RPC filter (not modelled)', 'FWPM_LAYER_RPC_UM', '{aa11bb22-cc33-dd44-ee55-ff6677889901}', EMPTY, [], PERMIT, fid=125924),
 item('{8bc6ed1a-c6d8-43f9-aa42-d091a3bcf4a0}', 'IPsec (provider context, not modelled)', 'FWPM_LAYER_INBOUND_TRANSPORT_V4', 'FWPM_SUBLAYER_IPSEC_TUNNEL', EMPTY, [],
   '<action><type>FWP_ACTION_CALLOUT_TERMINATING</type><calloutKey>FWPM_CALLOUT_IPSEC_INBOUND_TRANSPORT_V4</calloutKey></action>',
   flags='<flags numItems="1"><item>FWPM_FILTER_FLAG_HAS_PROVIDER_CONTEXT</item></flags>', prov='<providerKey>FWPM_PROVIDER_IKEEXT</providerKey>', fid=125926),
 item('{9cd7fe2b-d7e9-440a-bb53-e1a2b4cd05b1}', 'MAC layer (not modelled)', 'FWPM_LAYER_INBOUND_MAC_FRAME_ETHERNET', 'FWPM_SUBLAYER_UNIVERSAL', EMPTY, [], PERMIT, fid=125927),
 item('{7ab5dc09-b5c7-42e8-9931-cf8092abe387}', 'Unknown condition (not modelled)', 'FWPM_LAYER_ALE_AUTH_CONNECT_V4', 'FWPM_SUBLAYER_MPSSVC_WF', EMPTY, [
   cond('{0123abcd-0000-4000-8000-00000000beef}', 'FWP_MATCH_EQUAL', '<type>FWP_UINT32</type><uint32>1</uint32>'),
 ], BLOCK, fid=125925),
]
providers = '''
  <item>
   <providerKey>FWPM_PROVIDER_MPSSVC_WSH</providerKey>
   <displayData><name>Microsoft Corporation</name><description>Microsoft Windows WFP Built-in WSH provider</description></displayData>
   <flags numItems="1"><item>FWPM_PROVIDER_FLAG_PERSISTENT</item></flags>
   <providerData/>
   <serviceName>MpsSvc</serviceName>
  </item>'''
doc = f'''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<wfpdiag>
 <filters numItems="{len(items)}">{''.join(items)}
 </filters>
 <providers numItems="1">{providers}
 </providers>
</wfpdiag>
'''
open('win_filters.xml', 'w').write(doc)

state = open('win_state.tmpl').read().replace('@PROVIDERS@', providers)
open('win_state.xml', 'w').write(state)
