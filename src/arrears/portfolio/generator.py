"""Realistic synthetic portfolios in the interchange format (shared/docs/portfolio-format.md).

Tests, demos and benchmarks need books that look like what Chinese lenders hand over: valid resident ID numbers
and unified social credit codes, CN mobile numbers, a mix of lenders and products with plausible terms, payment
histories that put loans in every overdue bucket (M1 … M7+), and claims that mostly — not always — agree with the
data, so intake verification has something to find. A book of a million loans must be built in seconds, so
everything is set-based: numpy and Polars over whole columns, looping only over installment numbers or a handful of
categories, never over loans or rows. Same seed, same as-of date → identical frames and byte-identical files.

Money is integer fen throughout; amounts become yuan decimals (scale 2) only in the returned frames. Rates are
whole basis points (annual rates on a 2 bp grid, so 1.5 × rate is exact at 4 decimals).

How the claims are computed (what intake verification can recompute from the files), as of ``as_of``:

- ``own`` / ``assigned``: principal = the loan's principal minus every principal paid (the whole remaining balance,
  as after acceleration); interest = contract interest of installments due on or before ``as_of`` and not paid;
  penalty = per installment due on or before ``as_of``, unpaid principal × penalty rate × days overdue / day-count
  basis (360 or 365), rounded half up to the fen, summed; fees = 0.
- ``guarantee_recourse``: principal = what the guarantor paid (recourse_payments); interest = that amount ×
  recourse_rate × days since payment / 360, rounded half up (0 without a rate); penalty and fees = 0.
- About 4% of claims are deliberately off (principal inflated or ignoring repayments, interest inflated, penalty
  doubled, or fees the data does not support).

Payments follow the Civil Code waterfall (art. 560/561): oldest installment first; within it penalty, then
interest, then principal. Late payments carry the penalty on the late principal for the days late.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl

from arrears.portfolio.schedules import METHODS, amortize

# --- format ----------------------------------------------------------------------------------------------------

# fmt: off
FILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "borrowers": ("borrower_id", "name", "id_type", "id_number", "phone", "email", "address", "province", "city",
                  "is_company"),
    "loans": ("loan_id", "borrower_id", "lender", "lender_type", "product_type", "currency", "principal",
              "annual_rate", "penalty_rate", "day_count", "contract_date", "disbursement_date", "maturity_date",
              "repayment_method", "installments", "first_due_date", "grace_days", "compound_interest", "purpose",
              "jurisdiction_clause", "status"),
    "schedules": ("loan_id", "installment_no", "due_date", "principal_due", "interest_due", "fee_due"),
    "payments": ("payment_id", "loan_id", "paid_on", "amount", "principal_paid", "interest_paid", "penalty_paid",
                 "fee_paid", "reverses"),
    "collateral": ("collateral_id", "loan_id", "kind", "description", "appraised_value", "appraised_on",
                   "lien_rank", "registered"),
    "guarantees": ("guarantee_id", "loan_id", "guarantor_name", "guarantor_id_number", "guarantor_phone",
                   "guarantee_type", "period_end", "amount_cap"),
    "contacts": ("contact_id", "borrower_id", "relation", "name", "phone", "email", "address", "consented"),
    "claims": ("loan_id", "as_of", "principal", "interest", "penalty", "fees", "case_type", "claimant"),
    "assignments": ("loan_id", "assignor", "assignee", "assigned_on", "notice_delivered_on"),
    "recourse_payments": ("loan_id", "guarantor", "paid_on", "amount", "recourse_rate"),
}
# fmt: on
LENDER_TYPES = ("bank", "consumer_finance", "microloan", "guarantee", "private", "amc")
PRODUCT_TYPES = ("term_loan", "credit_card", "revolving", "mortgage", "auto")
BANK, CONSUMER_FINANCE, MICROLOAN, GUARANTEE, PRIVATE, AMC = range(6)
TERM_LOAN, CREDIT_CARD, REVOLVING, MORTGAGE, AUTO = range(5)
EQUAL_INSTALLMENT, EQUAL_PRINCIPAL, INTEREST_FIRST, BULLET = range(4)
ON_TIME, LATE, PARTIAL, STOPPED = range(4)  # payment behaviour of a loan

EPOCH = dt.date(1970, 1, 1)
NEVER = 10**7  # a day number later than any date
BP = 10_000  # basis points per unit rate
CENT = Decimal("0.01")
BASIS_POINT = Decimal("0.0001")
_NOTHING = np.zeros(0, dtype=np.int64)

# fmt: off
# --- reference data: places, people, lenders -------------------------------------------------------------------

# Region codes stdnum.cn.ric knows for every birth year 1960–2003 (prefecture codes, and districts of the
# municipalities). (code, province, city, districts for addresses, plate prefix, weight).
REGIONS: tuple[tuple[int, str, str, tuple[str, ...], str, float], ...] = (
    (110101, "北京市", "北京市", ("东城区",), "京A", 1.0),
    (110105, "北京市", "北京市", ("朝阳区",), "京N", 1.6),
    (110108, "北京市", "北京市", ("海淀区",), "京Q", 1.4),
    (120101, "天津市", "天津市", ("和平区",), "津A", 0.8),
    (120104, "天津市", "天津市", ("南开区",), "津B", 0.9),
    (310101, "上海市", "上海市", ("黄浦区",), "沪A", 1.0),
    (310104, "上海市", "上海市", ("徐汇区",), "沪B", 1.2),
    (310110, "上海市", "上海市", ("杨浦区",), "沪C", 1.1),
    (130100, "河北省", "石家庄市", ("长安区", "桥西区", "裕华区"), "冀A", 2.0),
    (130200, "河北省", "唐山市", ("路北区", "路南区"), "冀B", 1.2),
    (140100, "山西省", "太原市", ("小店区", "迎泽区"), "晋A", 1.2),
    (150100, "内蒙古自治区", "呼和浩特市", ("新城区", "赛罕区"), "蒙A", 0.8),
    (210100, "辽宁省", "沈阳市", ("和平区", "沈河区", "皇姑区"), "辽A", 1.6),
    (220100, "吉林省", "长春市", ("南关区", "朝阳区"), "吉A", 1.2),
    (230100, "黑龙江省", "哈尔滨市", ("道里区", "南岗区"), "黑A", 1.4),
    (320100, "江苏省", "南京市", ("玄武区", "鼓楼区", "建邺区"), "苏A", 2.0),
    (320200, "江苏省", "无锡市", ("梁溪区", "滨湖区"), "苏B", 1.2),
    (320500, "江苏省", "苏州市", ("姑苏区", "吴中区", "相城区"), "苏E", 2.0),
    (330100, "浙江省", "杭州市", ("西湖区", "上城区", "拱墅区", "滨江区"), "浙A", 2.4),
    (330200, "浙江省", "宁波市", ("海曙区", "鄞州区"), "浙B", 1.4),
    (330300, "浙江省", "温州市", ("鹿城区", "瓯海区"), "浙C", 1.3),
    (340100, "安徽省", "合肥市", ("蜀山区", "包河区", "庐阳区"), "皖A", 1.8),
    (350100, "福建省", "福州市", ("鼓楼区", "台江区"), "闽A", 1.3),
    (350200, "福建省", "厦门市", ("思明区", "湖里区"), "闽D", 1.0),
    (360100, "江西省", "南昌市", ("东湖区", "西湖区", "青山湖区"), "赣A", 1.4),
    (370100, "山东省", "济南市", ("历下区", "市中区", "槐荫区"), "鲁A", 1.8),
    (370200, "山东省", "青岛市", ("市南区", "市北区", "崂山区"), "鲁B", 1.6),
    (410100, "河南省", "郑州市", ("金水区", "二七区", "中原区"), "豫A", 2.6),
    (410300, "河南省", "洛阳市", ("西工区", "洛龙区"), "豫C", 1.2),
    (420100, "湖北省", "武汉市", ("武昌区", "江汉区", "洪山区"), "鄂A", 2.2),
    (430100, "湖南省", "长沙市", ("岳麓区", "芙蓉区", "天心区"), "湘A", 2.0),
    (440100, "广东省", "广州市", ("天河区", "越秀区", "海珠区", "白云区"), "粤A", 3.2),
    (440300, "广东省", "深圳市", ("南山区", "福田区", "罗湖区", "宝安区"), "粤B", 3.2),
    (440600, "广东省", "佛山市", ("禅城区", "南海区", "顺德区"), "粤E", 1.8),
    (450100, "广西壮族自治区", "南宁市", ("青秀区", "兴宁区", "西乡塘区"), "桂A", 1.4),
    (510100, "四川省", "成都市", ("武侯区", "锦江区", "青羊区", "成华区"), "川A", 2.8),
    (520100, "贵州省", "贵阳市", ("南明区", "云岩区"), "贵A", 1.1),
    (530100, "云南省", "昆明市", ("五华区", "盘龙区", "官渡区"), "云A", 1.3),
    (610100, "陕西省", "西安市", ("雁塔区", "碑林区", "未央区"), "陕A", 2.0),
    (620100, "甘肃省", "兰州市", ("城关区", "七里河区"), "甘A", 0.8),
    (630100, "青海省", "西宁市", ("城东区", "城西区"), "青A", 0.4),
    (640100, "宁夏回族自治区", "银川市", ("兴庆区", "金凤区"), "宁A", 0.4),
    (650100, "新疆维吾尔自治区", "乌鲁木齐市", ("天山区", "沙依巴克区"), "新A", 0.8),
    (540100, "西藏自治区", "拉萨市", ("城关区",), "藏A", 0.2),
)

# Surname, pinyin, share of the population (%), by frequency.
SURNAMES: tuple[tuple[str, str, float], ...] = (
    ("王", "wang", 7.25), ("李", "li", 7.19), ("张", "zhang", 6.83), ("刘", "liu", 5.38), ("陈", "chen", 4.53),
    ("杨", "yang", 3.08), ("赵", "zhao", 2.29), ("黄", "huang", 2.23), ("周", "zhou", 2.05), ("吴", "wu", 2.05),
    ("徐", "xu", 1.67), ("孙", "sun", 1.54), ("胡", "hu", 1.31), ("朱", "zhu", 1.26), ("高", "gao", 1.21),
    ("林", "lin", 1.18), ("何", "he", 1.17), ("郭", "guo", 1.15), ("马", "ma", 1.05), ("罗", "luo", 0.86),
    ("梁", "liang", 0.84), ("宋", "song", 0.81), ("郑", "zheng", 0.78), ("谢", "xie", 0.72),
    ("韩", "han", 0.68), ("唐", "tang", 0.65), ("冯", "feng", 0.64), ("于", "yu", 0.62), ("董", "dong", 0.61),
    ("萧", "xiao", 0.59), ("程", "cheng", 0.57), ("曹", "cao", 0.57), ("袁", "yuan", 0.54),
    ("邓", "deng", 0.54), ("许", "xu", 0.54), ("傅", "fu", 0.51), ("沈", "shen", 0.5), ("曾", "zeng", 0.5),
    ("彭", "peng", 0.49), ("吕", "lv", 0.47), ("苏", "su", 0.46), ("卢", "lu", 0.46), ("蒋", "jiang", 0.46),
    ("蔡", "cai", 0.45), ("贾", "jia", 0.41), ("丁", "ding", 0.41), ("魏", "wei", 0.4), ("薛", "xue", 0.4),
    ("叶", "ye", 0.39), ("阎", "yan", 0.38), ("余", "yu", 0.37), ("潘", "pan", 0.37), ("杜", "du", 0.36),
    ("戴", "dai", 0.34), ("夏", "xia", 0.34), ("钟", "zhong", 0.33), ("汪", "wang", 0.33), ("田", "tian", 0.33),
    ("任", "ren", 0.32), ("姜", "jiang", 0.32), ("范", "fan", 0.31), ("方", "fang", 0.31), ("石", "shi", 0.3),
    ("姚", "yao", 0.3), ("谭", "tan", 0.29), ("廖", "liao", 0.28), ("邹", "zou", 0.28), ("熊", "xiong", 0.27),
    ("金", "jin", 0.27), ("陆", "lu", 0.26), ("郝", "hao", 0.26), ("孔", "kong", 0.25), ("白", "bai", 0.25),
    ("崔", "cui", 0.25), ("康", "kang", 0.24), ("毛", "mao", 0.24), ("邱", "qiu", 0.24), ("秦", "qin", 0.23),
    ("江", "jiang", 0.23), ("史", "shi", 0.22), ("顾", "gu", 0.22), ("侯", "hou", 0.21), ("邵", "shao", 0.21),
    ("孟", "meng", 0.2), ("龙", "long", 0.2), ("万", "wan", 0.19), ("段", "duan", 0.19), ("雷", "lei", 0.18),
    ("钱", "qian", 0.18), ("汤", "tang", 0.17), ("尹", "yin", 0.17), ("黎", "li", 0.16), ("易", "yi", 0.16),
    ("常", "chang", 0.15), ("武", "wu", 0.15), ("乔", "qiao", 0.15), ("贺", "he", 0.14), ("赖", "lai", 0.14),
    ("龚", "gong", 0.13), ("文", "wen", 0.13), ("欧阳", "ouyang", 0.03), ("上官", "shangguan", 0.005),
    ("司马", "sima", 0.004), ("诸葛", "zhuge", 0.003),
)
GIVEN_MALE: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("勇", "yong"), ("杰", "jie"), ("涛", "tao"),
    ("斌", "bin"), ("超", "chao"), ("明", "ming"), ("刚", "gang"), ("平", "ping"), ("辉", "hui"), ("鹏", "peng"),
    ("华", "hua"), ("飞", "fei"), ("鑫", "xin"), ("波", "bo"), ("宇", "yu"), ("浩", "hao"), ("凯", "kai"),
    ("健", "jian"), ("俊", "jun"), ("帆", "fan"), ("帅", "shuai"), ("旭", "xu"), ("宁", "ning"), ("龙", "long"),
    ("阳", "yang"), ("峰", "feng"), ("建", "jian"), ("国", "guo"), ("志", "zhi"), ("成", "cheng"), ("东", "dong"),
    ("海", "hai"), ("亮", "liang"), ("晨", "chen"), ("博", "bo"), ("轩", "xuan"), ("然", "ran"), ("宏", "hong"),
    ("振", "zhen"), ("家", "jia"), ("鸿", "hong"), ("天", "tian"), ("永", "yong"), ("新", "xin"), ("春", "chun"),
    ("立", "li"), ("学", "xue"), ("德", "de"), ("忠", "zhong"), ("荣", "rong"), ("胜", "sheng"), ("瑞", "rui"),
    ("泽", "ze"), ("睿", "rui"), ("嘉", "jia"), ("文", "wen"),
)
GIVEN_FEMALE: tuple[tuple[str, str], ...] = (
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"), ("娟", "juan"),
    ("霞", "xia"), ("秀", "xiu"), ("玲", "ling"), ("桂", "gui"), ("英", "ying"), ("慧", "hui"), ("莹", "ying"),
    ("雪", "xue"), ("琳", "lin"), ("晶", "jing"), ("婷", "ting"), ("燕", "yan"), ("丹", "dan"), ("萍", "ping"),
    ("红", "hong"), ("玉", "yu"), ("兰", "lan"), ("洁", "jie"), ("梅", "mei"), ("颖", "ying"), ("倩", "qian"),
    ("琴", "qin"), ("云", "yun"), ("莉", "li"), ("欣", "xin"), ("怡", "yi"), ("佳", "jia"), ("悦", "yue"),
    ("思", "si"), ("雨", "yu"), ("梦", "meng"), ("晓", "xiao"), ("月", "yue"), ("凤", "feng"), ("美", "mei"),
    ("淑", "shu"), ("珊", "shan"), ("蕾", "lei"), ("薇", "wei"), ("璐", "lu"), ("诗", "shi"), ("涵", "han"),
    ("可", "ke"), ("馨", "xin"),
)
# Mobile prefixes of China Mobile, Unicom and Telecom (and their MVNO ranges), weighted by how common they are.
MOBILE_PREFIXES: tuple[tuple[int, float], ...] = (
    (130, 3), (131, 3), (132, 3), (133, 3), (134, 3), (135, 5), (136, 5), (137, 5), (138, 6), (139, 6),
    (150, 4), (151, 4), (152, 4), (153, 2), (155, 2), (156, 2), (157, 2), (158, 4), (159, 4), (170, 0.5),
    (171, 0.5), (173, 1), (175, 0.5), (176, 1), (177, 1), (178, 1), (180, 2), (181, 2), (182, 2), (183, 2),
    (184, 1), (185, 2), (186, 3), (187, 3), (188, 3), (189, 3), (191, 0.5), (198, 0.5), (199, 1),
)
EMAIL_DOMAINS = (
    "163.com", "126.com", "sina.com", "foxmail.com", "139.com", "hotmail.com", "outlook.com", "gmail.com",
    "sohu.com", "yeah.net",
)
EMAIL_DOMAIN_P = (0.34, 0.14, 0.08, 0.08, 0.08, 0.08, 0.07, 0.05, 0.04, 0.04)
ROADS = (
    "人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "文化路", "胜利路", "长江路", "黄河路", "东风路", "青年路", "学院路", "迎宾大道",
    "滨江大道", "科技路", "工业大道", "光明街", "幸福街", "朝阳路", "南京路", "北京路", "花园路", "振兴路", "育才路",
)
ESTATES = (
    "阳光花园", "锦绣家园", "翠苑", "金色港湾", "华府", "御景湾", "世纪新城", "和平小区", "春晓苑", "名都花园", "碧水湾", "东方明珠苑", "天润城",
    "学府小区", "幸福里", "龙湖花园", "新城国际", "丽景苑",
)
TOWERS = (
    "国际大厦", "金融中心", "科技园A座", "创业大厦", "商务中心B座", "财富广场", "总部基地", "工业园",
)
BRANDS = (
    "恒信", "华通", "鑫达", "瑞丰", "宏远", "金诚", "盛世", "永泰", "天合", "中联", "博远", "嘉禾", "隆昌", "荣盛", "顺发", "广源", "新锐",
    "汇金", "正通", "东升", "海川", "天成", "亿达", "宏图",
)
INDUSTRIES = (
    "贸易", "科技", "建筑工程", "物流", "餐饮管理", "电子", "服装", "食品", "建材", "机械设备", "文化传媒", "装饰工程", "商贸", "农业发展", "信息技术",
    "汽车服务", "医疗器械", "环保科技",
)
COMPANY_SUFFIXES = ("有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司")
CAR_MODELS = (
    "大众 朗逸", "丰田 卡罗拉", "本田 雅阁", "日产 轩逸", "比亚迪 秦PLUS", "比亚迪 宋PLUS", "吉利 帝豪", "长安 CS75", "哈弗 H6",
    "特斯拉 Model 3", "宝马 3系", "奔驰 C级", "奥迪 A4L", "别克 英朗", "五菱 宏光MINIEV", "理想 L7", "蔚来 ES6", "广汽传祺 GS4",
)

# (lender type, name, city, district, registration region code). Private lenders are people, drawn per portfolio.
LENDERS: tuple[tuple[int, str, str, str, int], ...] = (
    (BANK, "招商银行股份有限公司信用卡中心", "上海市", "浦东新区", 310115),
    (BANK, "中信银行股份有限公司信用卡中心", "深圳市", "福田区", 440304),
    (BANK, "交通银行股份有限公司太平洋信用卡中心", "上海市", "浦东新区", 310115),
    (BANK, "广发银行股份有限公司信用卡中心", "广州市", "天河区", 440106),
    (BANK, "平安银行股份有限公司信用卡中心", "深圳市", "福田区", 440304),
    (BANK, "深圳前海微众银行股份有限公司", "深圳市", "南山区", 440305),
    (BANK, "浙江网商银行股份有限公司", "杭州市", "西湖区", 330106),
    (BANK, "中国工商银行股份有限公司杭州分行", "杭州市", "上城区", 330102),
    (BANK, "中国建设银行股份有限公司深圳市分行", "深圳市", "福田区", 440304),
    (BANK, "中国农业银行股份有限公司四川省分行", "成都市", "锦江区", 510104),
    (BANK, "上海浦东发展银行股份有限公司信用卡中心", "上海市", "黄浦区", 310101),
    (BANK, "宁波银行股份有限公司", "宁波市", "鄞州区", 330212),
    (BANK, "北京农村商业银行股份有限公司", "北京市", "西城区", 110102),
    (CONSUMER_FINANCE, "马上消费金融股份有限公司", "重庆市", "渝北区", 500112),
    (CONSUMER_FINANCE, "招联消费金融股份有限公司", "深圳市", "南山区", 440305),
    (CONSUMER_FINANCE, "捷信消费金融有限公司", "天津市", "和平区", 120101),
    (CONSUMER_FINANCE, "中银消费金融有限公司", "上海市", "黄浦区", 310101),
    (CONSUMER_FINANCE, "兴业消费金融股份公司", "泉州市", "丰泽区", 350503),
    (CONSUMER_FINANCE, "中邮消费金融有限公司", "广州市", "天河区", 440106),
    (CONSUMER_FINANCE, "海尔消费金融有限公司", "青岛市", "崂山区", 370212),
    (CONSUMER_FINANCE, "杭银消费金融股份有限公司", "杭州市", "上城区", 330102),
    (CONSUMER_FINANCE, "北银消费金融有限公司", "北京市", "海淀区", 110108),
    (MICROLOAN, "重庆市蚂蚁小微小额贷款有限公司", "重庆市", "渝中区", 500103),
    (MICROLOAN, "重庆度小满小额贷款有限公司", "重庆市", "渝中区", 500103),
    (MICROLOAN, "深圳市财付通网络金融小额贷款有限公司", "深圳市", "南山区", 440305),
    (MICROLOAN, "福州三六零网络小额贷款有限公司", "福州市", "鼓楼区", 350102),
    (MICROLOAN, "杭州市西湖区恒信小额贷款有限公司", "杭州市", "西湖区", 330106),
    (MICROLOAN, "苏州市吴中区金诚小额贷款有限公司", "苏州市", "吴中区", 320506),
    (MICROLOAN, "广州市越秀区鑫达小额贷款有限公司", "广州市", "越秀区", 440104),
    (MICROLOAN, "成都市武侯区瑞丰小额贷款有限公司", "成都市", "武侯区", 510107),
    (GUARANTEE, "深圳市恒泰融资担保有限公司", "深圳市", "福田区", 440304),
    (GUARANTEE, "杭州金盛融资担保有限公司", "杭州市", "拱墅区", 330105),
    (GUARANTEE, "广州市汇通融资担保有限公司", "广州市", "天河区", 440106),
    (GUARANTEE, "成都中盈融资担保有限公司", "成都市", "锦江区", 510104),
    (GUARANTEE, "江苏鼎信融资担保有限公司", "南京市", "建邺区", 320105),
    (GUARANTEE, "武汉华泰融资担保有限公司", "武汉市", "江汉区", 420103),
    (AMC, "中国华融资产管理股份有限公司", "北京市", "西城区", 110102),
    (AMC, "中国长城资产管理股份有限公司", "北京市", "丰台区", 110106),
    (AMC, "中国东方资产管理股份有限公司", "北京市", "西城区", 110102),
    (AMC, "中国信达资产管理股份有限公司", "北京市", "西城区", 110102),
    (AMC, "中国银河资产管理有限责任公司", "北京市", "西城区", 110102),
    (AMC, "浙江省浙商资产管理有限公司", "杭州市", "西湖区", 330106),
    (AMC, "江苏资产管理有限公司", "南京市", "建邺区", 320105),
)
_CARD_CENTRES = tuple(row[1] for row in LENDERS if row[1].endswith("信用卡中心"))
_ONLINE_BANKS = ("深圳前海微众银行股份有限公司", "浙江网商银行股份有限公司")
_BRANCHES = tuple(row[1] for row in LENDERS if row[0] == BANK and row[1] not in _CARD_CENTRES + _ONLINE_BANKS)
_ALL_PRODUCTS = (TERM_LOAN, CREDIT_CARD, REVOLVING, MORTGAGE, AUTO)
_LENDER_INDEX = {row[1]: i for i, row in enumerate(LENDERS)}
_NAMES_OF_TYPE = {t: tuple(row[1] for row in LENDERS if row[0] == t) for t in range(len(LENDER_TYPES))}
# Who lends what: card centres issue cards, online banks consumer credit, branches the rest. (type, products, names;
# no names = any lender of the type)
LENDER_LINES: tuple[tuple[int, tuple[int, ...], tuple[str, ...]], ...] = (
    (BANK, (CREDIT_CARD,), _CARD_CENTRES),
    (BANK, (REVOLVING, TERM_LOAN), _ONLINE_BANKS + _BRANCHES),
    (BANK, (MORTGAGE, AUTO), _BRANCHES),
    *((t, _ALL_PRODUCTS, ()) for t in (CONSUMER_FINANCE, MICROLOAN, GUARANTEE, PRIVATE, AMC)),
)
LENDER_TYPE_P = (0.30, 0.25, 0.20, 0.08, 0.07, 0.10)
COMPANY_P = (0.03, 0.0, 0.02, 0.20, 0.05, 0.08)  # share of company borrowers, per lender type
PRIVATE_LENDER_POOL = 300
# (on time, late then cured, partial, stopped) per lender type: guarantee companies and AMCs hold bad debts
PROFILE_P = (
    (0.58, 0.13, 0.06, 0.23), (0.56, 0.13, 0.07, 0.24), (0.52, 0.13, 0.08, 0.27),
    (0.10, 0.08, 0.10, 0.72), (0.50, 0.10, 0.10, 0.30), (0.03, 0.04, 0.10, 0.83),
)
DPD_BUCKETS = ((1, 30), (31, 60), (61, 90), (91, 120), (121, 150), (151, 180), (181, 0))  # M1 … M7+ (open)
DPD_P = {GUARANTEE: (0.05, 0.10, 0.12, 0.12, 0.10, 0.08, 0.43), AMC: (0.02, 0.02, 0.03, 0.05, 0.05, 0.05, 0.78)}
DPD_P_DEFAULT = (0.24, 0.14, 0.11, 0.09, 0.07, 0.06, 0.29)
PURPOSES: dict[int, tuple[str, ...]] = {
    TERM_LOAN: ("个人消费", "装修", "教育", "医疗", "旅游", "购买家电", "经营周转", "日常消费"),
    CREDIT_CARD: ("账单分期", "现金分期", "消费分期"),
    REVOLVING: ("日常消费", "个人消费", "资金周转"),
    MORTGAGE: ("购买住房",),
    AUTO: ("购车",),
}
COMPANY_PURPOSES = ("流动资金周转", "经营周转", "购买原材料", "设备采购")


@dataclass(frozen=True)
class Spec:
    """One kind of loan: who lends it, to whom, for how long, how much and at what price."""

    lender_type: int
    company: bool
    product: int
    weight: float  # within its lender type (and borrower kind)
    terms: tuple[int, ...]  # months
    term_p: tuple[float, ...]
    principal: tuple[int, int]  # yuan, drawn log-uniformly
    unit: int  # fen the principal is rounded to
    rate: tuple[int, int]  # basis points a year
    methods: tuple[float, float, float, float]  # equal_installment, equal_principal, interest_first, bullet


_CARD = ((3, 6, 12, 24), (0.15, 0.30, 0.40, 0.15), (2_000, 80_000), 1)
_MORTGAGE = ((120, 180, 240, 300, 360), (0.10, 0.15, 0.30, 0.20, 0.25), (300_000, 3_000_000), 100_000)
_AUTO = ((12, 24, 36, 60), (0.15, 0.30, 0.40, 0.15), (50_000, 400_000), 10_000)
_BUSINESS = (0.2, 0.0, 0.6, 0.2)
SPECS: tuple[Spec, ...] = (
    Spec(BANK, False, CREDIT_CARD, 0.38, *_CARD, (1000, 1800), (0.85, 0.15, 0, 0)),
    Spec(BANK, False, TERM_LOAN, 0.22, (12, 24, 36), (0.35, 0.35, 0.30), (20_000, 500_000), 100_000, (360, 1200),
         (0.60, 0.25, 0.10, 0.05)),
    Spec(BANK, False, REVOLVING, 0.12, (3, 6, 12), (0.2, 0.3, 0.5), (1_000, 200_000), 10_000, (720, 1800),
         (0.55, 0.30, 0.15, 0)),
    Spec(BANK, False, MORTGAGE, 0.08, *_MORTGAGE, (310, 490), (0.7, 0.3, 0, 0)),
    Spec(BANK, False, AUTO, 0.20, *_AUTO, (300, 1000), (0.9, 0.1, 0, 0)),
    Spec(BANK, True, TERM_LOAN, 1.0, (12, 24, 36), (0.4, 0.35, 0.25), (200_000, 5_000_000), 1_000_000, (360, 800),
         _BUSINESS),
    Spec(CONSUMER_FINANCE, False, TERM_LOAN, 0.65, (6, 12, 24, 36), (0.10, 0.35, 0.30, 0.25), (3_000, 200_000),
         10_000, (720, 2390), (0.75, 0.20, 0.05, 0)),
    Spec(CONSUMER_FINANCE, False, REVOLVING, 0.35, (3, 6, 12), (0.25, 0.35, 0.40), (500, 50_000), 10_000,
         (1000, 2390), (0.70, 0.25, 0.05, 0)),
    Spec(MICROLOAN, False, TERM_LOAN, 0.55, (3, 6, 12, 24), (0.10, 0.30, 0.40, 0.20), (1_000, 100_000), 10_000,
         (1200, 2390), (0.70, 0.20, 0.10, 0)),
    Spec(MICROLOAN, False, REVOLVING, 0.45, (3, 6, 12), (0.3, 0.3, 0.4), (500, 50_000), 10_000, (1200, 2390),
         (0.60, 0.30, 0.10, 0)),
    Spec(MICROLOAN, True, TERM_LOAN, 1.0, (6, 12, 24), (0.3, 0.5, 0.2), (100_000, 1_000_000), 1_000_000,
         (1000, 2000), (0.3, 0.0, 0.5, 0.2)),
    Spec(GUARANTEE, False, TERM_LOAN, 0.75, (12, 24, 36), (0.3, 0.4, 0.3), (50_000, 1_000_000), 100_000,
         (500, 1200), (0.50, 0.20, 0.25, 0.05)),
    Spec(GUARANTEE, False, AUTO, 0.25, (12, 24, 36), (0.3, 0.4, 0.3), (50_000, 300_000), 10_000, (600, 1400),
         (0.9, 0.1, 0, 0)),
    Spec(GUARANTEE, True, TERM_LOAN, 1.0, (6, 12, 24), (0.3, 0.5, 0.2), (300_000, 5_000_000), 1_000_000,
         (450, 1000), _BUSINESS),
    Spec(PRIVATE, False, TERM_LOAN, 1.0, (3, 6, 12, 24), (0.2, 0.3, 0.35, 0.15), (10_000, 1_000_000), 1_000_000,
         (600, 1200), (0, 0, 0.5, 0.5)),
    Spec(PRIVATE, True, TERM_LOAN, 1.0, (3, 6, 12), (0.3, 0.4, 0.3), (100_000, 3_000_000), 1_000_000, (600, 1200),
         (0, 0, 0.5, 0.5)),
    Spec(AMC, False, CREDIT_CARD, 0.35, *_CARD, (1000, 1800), (0.85, 0.15, 0, 0)),
    Spec(AMC, False, TERM_LOAN, 0.45, (12, 24, 36), (0.35, 0.35, 0.30), (10_000, 500_000), 10_000, (450, 1500),
         (0.60, 0.20, 0.15, 0.05)),
    Spec(AMC, False, MORTGAGE, 0.05, *_MORTGAGE, (310, 490), (0.7, 0.3, 0, 0)),
    Spec(AMC, False, AUTO, 0.15, *_AUTO, (300, 1000), (0.9, 0.1, 0, 0)),
    Spec(AMC, True, TERM_LOAN, 1.0, (12, 24, 36), (0.4, 0.35, 0.25), (500_000, 5_000_000), 1_000_000, (450, 900),
         _BUSINESS),
)
PRIVATE_RATE_CAP_BP = 1200  # 4 × the one-year LPR of 3.0%: the judicial cap on private lending
# fmt: on


# --- small vectorised helpers ----------------------------------------------------------------------------------


class _Streams:
    """Independent random streams per part of the book, so changing one part leaves the others' draws alone."""

    PARTS = ("loans", "schedules", "payments", "people", "contacts", "security", "claims")

    def __init__(self, seed: int) -> None:
        children = np.random.SeedSequence(seed).spawn(len(self.PARTS))
        self._rngs = {p: np.random.default_rng(c) for p, c in zip(self.PARTS, children, strict=True)}

    def __call__(self, part: str) -> np.random.Generator:
        return self._rngs[part]


def _day(value: dt.date) -> int:
    return (value - EPOCH).days


def _month_index(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _month_start(month_index: np.ndarray) -> np.ndarray:
    return month_index.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _day_of_month(days: np.ndarray) -> np.ndarray:
    return days - _month_start(_month_index(days)) + 1


def _add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Same day of month `months` later, clamped to the month's end (as arrears.core.dates.add_months)."""
    target = _month_index(days) + months
    start = _month_start(target)
    return start + np.minimum(_day_of_month(days), _month_start(target + 1) - start) - 1


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    month_index = _month_index(days)
    return month_index // 12 + 1970, month_index % 12 + 1, _day_of_month(days)


def _uniform_int(
    rng: np.random.Generator, low: np.ndarray | int, high: np.ndarray | int, n: int
) -> np.ndarray:
    """Integers in [low, high] inclusive, bounds per element."""
    low_a = np.asarray(low, dtype=np.int64)
    span = np.maximum(np.asarray(high, dtype=np.int64) - low_a + 1, 1)
    return low_a + (rng.random(n) * span).astype(np.int64)


def _choice(rng: np.random.Generator, p: Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    weights = np.asarray(p, dtype=np.float64)
    return rng.choice(weights.size, size=n, p=weights / weights.sum())


def _accrual(base: np.ndarray, rate_bp: np.ndarray, days: np.ndarray, basis: np.ndarray | int) -> np.ndarray:
    """round_half_up(base × rate × days / basis) in integer fen; no float touches money."""
    denominator = BP * np.asarray(basis, dtype=np.int64)
    return (2 * base * rate_bp * days + denominator) // (2 * denominator)


def _strings(values: Sequence[str]) -> pl.Series:
    return pl.Series(values=list(values), dtype=pl.String)


def _take(values: Sequence[str] | pl.Series, idx: np.ndarray) -> pl.Series:
    table = values if isinstance(values, pl.Series) else _strings(values)
    return table.gather(idx)


def _text(values: np.ndarray) -> pl.Series:
    return pl.Series(values=values).cast(pl.String)


def _concat(*parts: pl.Series | str) -> pl.Series:
    """Row-wise concatenation of string columns and literals (null if any column is null)."""
    columns = {f"c{i}": p for i, p in enumerate(parts) if isinstance(p, pl.Series)}
    exprs = [pl.lit(p) if isinstance(p, str) else pl.col(f"c{i}") for i, p in enumerate(parts)]
    return pl.DataFrame(columns).select(pl.concat_str(exprs).alias("v")).to_series()


def _where(mask: np.ndarray, then: pl.Series, otherwise: pl.Series | None = None) -> pl.Series:
    """then where mask, else otherwise (null when None)."""
    frame = pl.DataFrame({"m": mask, "a": then, **({"b": otherwise} if otherwise is not None else {})})
    fallback = pl.col("b") if otherwise is not None else pl.lit(None, dtype=pl.String)
    return frame.select(pl.when(pl.col("m")).then(pl.col("a")).otherwise(fallback).alias("v")).to_series()


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    return _concat(prefix, _text(numbers).str.zfill(width))


def _dates(days: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    series = pl.Series(values=days.astype(np.int32)).cast(pl.Date)
    if valid is not None:
        series = pl.DataFrame({"d": series, "m": valid}).select(pl.when("m").then("d")).to_series()
    return series


def _yuan(fen: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    """Fen to yuan decimals with 2 places, null where not valid."""
    frame = pl.DataFrame(
        {"v": fen.astype(np.int64), "m": np.ones(fen.size, bool) if valid is None else valid}
    )
    return frame.select(_yuan_expr("v", None if valid is None else "m")).to_series()


def _rate(bp: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    """Basis points to an annual fraction with 4 places ("0.1200"), null where not valid. Exact, like _yuan."""
    value = (pl.col("v").cast(pl.Decimal(10, 0)) * pl.lit(BASIS_POINT)).cast(pl.Decimal(10, 4))
    frame = pl.DataFrame({"v": bp.astype(np.int64), "m": np.ones(bp.size, bool) if valid is None else valid})
    return frame.select(pl.when("m").then(value) if valid is not None else value).to_series()


def _yuan_expr(column: str, valid: str | None = None) -> pl.Expr:
    """Fen to yuan with 2 places. Exact: an integer times Decimal('0.01') is the same integer at scale 2 (and 5×
    faster than decimal division); one expression per column lets a frame convert its columns in parallel."""
    value = (pl.col(column).cast(pl.Decimal(18, 0)) * pl.lit(CENT)).cast(pl.Decimal(18, 2))
    return (pl.when(pl.col(valid)).then(value) if valid else value).alias(column)


def _id_expr(column: str, prefix: str, width: int) -> pl.Expr:
    return pl.concat_str([pl.lit(prefix), pl.col(column).cast(pl.String).str.zfill(width)]).alias(column)


def _segment_sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums over consecutive segments (every segment non-empty), exact for integers."""
    return np.add.reduceat(values, starts) if values.size else np.zeros(starts.size, dtype=values.dtype)


# --- identities --------------------------------------------------------------------------------------------------

REGION_CODE = np.array([r[0] for r in REGIONS], dtype=np.int64)
REGION_P = np.array([r[5] for r in REGIONS]) / sum(r[5] for r in REGIONS)
_DISTRICT_COUNT = np.array([len(r[3]) for r in REGIONS], dtype=np.int64)
_DISTRICT_START = np.concatenate([[0], np.cumsum(_DISTRICT_COUNT)[:-1]])
DISTRICTS = tuple(d for r in REGIONS for d in r[3])
# "浙江省杭州市", but "北京市" for the municipalities
REGION_PREFIX = tuple(r[2] if r[1] == r[2] else r[1] + r[2] for r in REGIONS)
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_SURNAME_P = np.array([s[2] for s in SURNAMES]) / sum(s[2] for s in SURNAMES)
_GIVEN = GIVEN_MALE + GIVEN_FEMALE + (("", ""),)
_NO_GIVEN = len(_GIVEN) - 1
_PREFIX = np.array([p for p, _ in MOBILE_PREFIXES], dtype=np.int64)
_PREFIX_P = np.array([w for _, w in MOBILE_PREFIXES]) / sum(w for _, w in MOBILE_PREFIXES)


def _districts(rng: np.random.Generator, region: np.ndarray) -> np.ndarray:
    return _DISTRICT_START[region] + (rng.random(region.size) * _DISTRICT_COUNT[region]).astype(np.int64)


@dataclass
class _Names:
    name: pl.Series
    pinyin: pl.Series
    surname: np.ndarray


def _person_names(rng: np.random.Generator, male: np.ndarray, surname: np.ndarray | None = None) -> _Names:
    """Surnames by frequency, one- or two-character given names by sex."""
    n = male.size
    if surname is None:
        surname = rng.choice(len(SURNAMES), size=n, p=_SURNAME_P)
    males, females = len(GIVEN_MALE), len(GIVEN_FEMALE)

    def given() -> np.ndarray:
        return np.where(male, rng.integers(0, males, n), males + rng.integers(0, females, n))

    first, second = given(), given()
    second = np.where(rng.random(n) < 0.72, second, _NO_GIVEN)
    chars = _strings([g[0] for g in _GIVEN])
    sounds = _strings([g[1] for g in _GIVEN])
    name = _concat(_take([s[0] for s in SURNAMES], surname), chars.gather(first), chars.gather(second))
    pinyin = _concat(_take([s[1] for s in SURNAMES], surname), sounds.gather(first), sounds.gather(second))
    return _Names(name, pinyin, surname)


def _company_names(rng: np.random.Generator, region: np.ndarray) -> pl.Series:
    n = region.size
    city = _take([r[2].removesuffix("市") for r in REGIONS], region)
    return _concat(
        city,
        _take(BRANDS, rng.integers(0, len(BRANDS), n)),
        _take(INDUSTRIES, rng.integers(0, len(INDUSTRIES), n)),
        _take(COMPANY_SUFFIXES, rng.integers(0, len(COMPANY_SUFFIXES), n)),
    )


def _birth_days(rng: np.random.Generator, latest: np.ndarray) -> np.ndarray:
    """Born 1960–2003, most borrowers in their late twenties to forties; never younger than `latest` allows."""
    low = _day(dt.date(1960, 1, 1))
    high = np.clip(latest, low + 365, _day(dt.date(2003, 12, 31)))
    return high - ((high - low) * rng.beta(1.8, 2.6, latest.size)).astype(np.int64)


def _resident_ids(
    rng: np.random.Generator, region: np.ndarray, birth: np.ndarray, male: np.ndarray
) -> pl.Series:
    """GB 11643: region, birth date, order code (odd for men), ISO 7064 MOD 11-2 check character."""
    n = region.size
    year, month, day = _ymd(birth)
    order = np.where(male, 2 * rng.integers(0, 500, n) + 1, 2 * rng.integers(1, 500, n))
    body = REGION_CODE[region] * 10**11 + (year * 10_000 + month * 100 + day) * 1000 + order
    total = np.zeros(n, dtype=np.int64)
    for position, weight in enumerate(RIC_WEIGHTS):
        total += (body // 10 ** (16 - position)) % 10 * weight
    check = (12 - total % 11) % 11
    return _concat(_text(body), _take(list("0123456789X"), check))


def _usccs(rng: np.random.Generator, region_code: np.ndarray) -> pl.Series:
    """GB 32100: '9' (market regulator), '1' (enterprise), region, organisation code (GB 11714, with its own
    check character; 'MA…' for registrations since 2015), MOD 31 check character."""
    n = region_code.size
    alphabet = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
    org = alphabet[rng.integers(0, 10, (n, 8))]
    new_style = rng.random(n) < 0.45
    mixed = alphabet[rng.integers(0, len(USCC_ALPHABET), (n, 8))]
    org = np.where(new_style[:, None], mixed, org)
    org[new_style, 0], org[new_style, 1] = ord("M"), ord("A")
    values = np.where(org >= ord("A"), org.astype(np.int64) - ord("A") + 10, org.astype(np.int64) - ord("0"))
    org_check = 11 - (values * np.array(ORG_WEIGHTS)).sum(axis=1) % 11
    org_check_char = np.where(
        org_check == 10, ord("X"), np.where(org_check == 11, ord("0"), ord("0") + org_check)
    )
    region_digits = (region_code[:, None] // 10 ** np.arange(5, -1, -1)) % 10 + ord("0")
    chars = np.concatenate(
        [np.full((n, 1), ord("9")), np.full((n, 1), ord("1")), region_digits, org, org_check_char[:, None]],
        axis=1,
    ).astype(np.uint8)
    lookup = np.zeros(256, dtype=np.int64)
    lookup[alphabet] = np.arange(len(USCC_ALPHABET))
    total = (lookup[chars] * np.array(USCC_WEIGHTS)).sum(axis=1)
    check = alphabet[(31 - total % 31) % 31]
    full = np.ascontiguousarray(np.concatenate([chars, check[:, None]], axis=1))
    return pl.Series(values=np.char.decode(full.view("S18").ravel(), "ascii"), dtype=pl.String)


def _phones(rng: np.random.Generator, n: int) -> pl.Series:
    prefix = _PREFIX[rng.choice(_PREFIX.size, size=n, p=_PREFIX_P)]
    return _text(prefix * 10**8 + rng.integers(0, 10**8, n))


def _emails(rng: np.random.Generator, pinyin: pl.Series, birth_year: np.ndarray) -> pl.Series:
    """QQ numbers, or pinyin with a birth year or a few digits at the big mail providers."""
    n = birth_year.size
    qq = rng.random(n) < 0.45
    style = rng.random(n)
    digits = _text(rng.integers(1, 1000, n))
    suffix = _where(style < 0.3, _text(birth_year), _where(style < 0.7, digits, pl.repeat("", n, eager=True)))
    domain = _take(EMAIL_DOMAINS, _choice(rng, EMAIL_DOMAIN_P, n))
    personal = _concat(pinyin, suffix, "@", domain)
    return _where(qq, _concat(_text(rng.integers(10_000, 3_000_000_000, n)), "@qq.com"), personal)


def _street(rng: np.random.Generator, region: np.ndarray, district: np.ndarray) -> list[pl.Series | str]:
    """City, district, road and number: the part every address shares."""
    n = region.size
    return [
        _take(REGION_PREFIX, region),
        _take(DISTRICTS, district),
        _take(ROADS, rng.integers(0, len(ROADS), n)),
        _text(rng.integers(1, 900, n)),
        "号",
    ]


def _home_addresses(rng: np.random.Generator, region: np.ndarray, district: np.ndarray) -> pl.Series:
    n = region.size
    return _concat(
        *_street(rng, region, district),
        _take(ESTATES, rng.integers(0, len(ESTATES), n)),
        _text(rng.integers(1, 31, n)),
        "栋",
        _text(rng.integers(1, 7, n)),
        "单元",
        _text(rng.integers(1, 34, n) * 100 + rng.integers(1, 5, n)),
        "室",
    )


def _office_addresses(rng: np.random.Generator, region: np.ndarray, district: np.ndarray) -> pl.Series:
    n = region.size
    return _concat(
        *_street(rng, region, district),
        _take(TOWERS, rng.integers(0, len(TOWERS), n)),
        _text(rng.integers(1, 40, n)),
        "层",
    )


# --- the loan book -----------------------------------------------------------------------------------------------


@dataclass
class _Loans:
    """Loan-level columns as numpy arrays; days are day numbers since 1970-01-01, money is fen."""

    n: int
    lender_type: np.ndarray
    company: np.ndarray
    product: np.ndarray
    term: np.ndarray
    method: np.ndarray
    rows: np.ndarray  # schedule rows: 1 for bullet, else the term
    principal: np.ndarray
    rate_bp: np.ndarray
    penalty_bp: np.ndarray  # in force (1.5 × rate where the file leaves it empty)
    penalty_given: np.ndarray
    basis: np.ndarray  # 360 or 365
    profile: np.ndarray
    stop: np.ndarray  # first installment not paid in full (partial/stopped), else rows + 1
    contract: np.ndarray
    disbursed: np.ndarray
    first_due: np.ndarray
    maturity: np.ndarray
    lender: np.ndarray  # index into the lender names (LENDERS, then the private pool)
    has_split: np.ndarray
    ids: pl.Series


def _draw_loans(rng: np.random.Generator, n: int, today: int) -> _Loans:
    lender_type = _choice(rng, LENDER_TYPE_P, n)
    company = rng.random(n) < np.array(COMPANY_P)[lender_type]
    spec = np.zeros(n, dtype=np.int64)
    for t in range(len(LENDER_TYPES)):
        for is_company in (False, True):
            members = np.flatnonzero((lender_type == t) & (company == is_company))
            options = [i for i, s in enumerate(SPECS) if s.lender_type == t and s.company == is_company]
            if members.size and options:
                spec[members] = np.array(options)[
                    _choice(rng, [SPECS[i].weight for i in options], members.size)
                ]

    product, term, method = (np.zeros(n, dtype=np.int64) for _ in range(3))
    principal, rate_bp = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    for i, s in enumerate(SPECS):
        members = np.flatnonzero(spec == i)
        m = members.size
        if not m:
            continue
        product[members] = s.product
        term[members] = np.array(s.terms)[_choice(rng, s.term_p, m)]
        method[members] = _choice(rng, s.methods, m)
        low, high = np.log(s.principal[0] * 100), np.log(s.principal[1] * 100)
        raw = np.exp(rng.uniform(low, high, m))  # a random draw, rounded to whole fen at once
        principal[members] = np.maximum(np.round(raw / s.unit).astype(np.int64), 1) * s.unit
        rate_bp[members] = 2 * _uniform_int(rng, s.rate[0] // 2, s.rate[1] // 2, m)
    bullet = method == BULLET
    rows = np.where(bullet, 1, term)

    # penalty rate: 1.5 × (mostly stated), sometimes no surcharge; private lending stays under the cap
    surcharge = rng.random(n)
    penalty_bp = np.where(surcharge < 0.05, rate_bp, rate_bp * 3 // 2)
    penalty_bp = np.where(lender_type == PRIVATE, np.minimum(penalty_bp, PRIVATE_RATE_CAP_BP), penalty_bp)
    penalty_given = (surcharge < 0.05) | (surcharge > 0.13) | (lender_type == PRIVATE)
    basis = np.where(rng.random(n) < 0.85, 360, 365)

    # behaviour first, then dates that make it happen
    profile = np.zeros(n, dtype=np.int64)
    for t in range(len(LENDER_TYPES)):
        members = np.flatnonzero(lender_type == t)
        profile[members] = _choice(rng, PROFILE_P[t], members.size)
    defaulted = profile >= PARTIAL
    cap = np.minimum(rows, 84)
    stop = 1 + np.minimum((cap * rng.random(n) ** 1.3).astype(np.int64), cap - 1)
    bucket = np.zeros(n, dtype=np.int64)
    for t in range(len(LENDER_TYPES)):
        members = np.flatnonzero(lender_type == t)
        bucket[members] = _choice(rng, DPD_P.get(t, DPD_P_DEFAULT), members.size)
    low = np.array([b[0] for b in DPD_BUCKETS])[bucket]
    high = np.array([b[1] for b in DPD_BUCKETS])[bucket]
    long_tail = 181 + np.minimum(rng.exponential(300, n).astype(np.int64), 1300)  # M7+, up to about 4 years
    dpd = np.where(high == 0, long_tail, _uniform_int(rng, low, high, n))
    default_due = today - dpd
    default_disbursed = _add_months(default_due, -np.where(bullet, term, stop))

    matured = rng.random(n) < 0.06  # repaid in full by as_of: a few closed loans
    progress = np.where(matured, rows, (np.minimum(rows, 120) * rng.random(n) ** 0.5).astype(np.int64))
    anchor = today - rng.integers(0, 28, n) - np.where(matured, rng.integers(0, 300, n), 0)
    performing_disbursed = _add_months(anchor, -np.where(bullet, term * progress, progress))
    disbursed = np.where(defaulted, default_disbursed, performing_disbursed)
    stop = np.where(defaulted, stop, rows + 1)

    repayment_day = np.minimum(_day_of_month(disbursed), 28)
    month0 = _month_index(disbursed)
    first_due = _month_start(month0 + 1) + repayment_day - 1
    maturity = _month_start(month0 + term) + repayment_day - 1
    lag = np.where(rng.random(n) < 0.55, 0, rng.integers(1, 8, n))
    lag = np.where(product == MORTGAGE, rng.integers(5, 46, n), lag)
    contract = disbursed - lag

    lender = np.zeros(n, dtype=np.int64)
    for t, products, names in LENDER_LINES:
        members = np.flatnonzero((lender_type == t) & np.isin(product, products))
        if t == PRIVATE:
            lender[members] = len(LENDERS) + rng.integers(0, PRIVATE_LENDER_POOL, members.size)
            continue
        of_line = np.array([_LENDER_INDEX[name] for name in names or _NAMES_OF_TYPE[t]])
        zipf = 1.0 / np.arange(1, of_line.size + 1) ** 0.8  # a few big lenders (the first named), a long tail
        lender[members] = of_line[_choice(rng, zipf, members.size)]

    width = max(8, len(str(n)))
    return _Loans(
        n=n,
        lender_type=lender_type,
        company=company,
        product=product,
        term=term,
        method=method,
        rows=rows,
        principal=principal,
        rate_bp=rate_bp,
        penalty_bp=penalty_bp,
        penalty_given=penalty_given,
        basis=basis,
        profile=profile,
        stop=stop,
        contract=contract,
        disbursed=disbursed,
        first_due=first_due,
        maturity=maturity,
        lender=lender,
        has_split=rng.random(n) < 0.5,
        ids=_ids("L", np.arange(1, n + 1), width),
    )


@dataclass
class _Schedule:
    loan: np.ndarray  # loan index of each row; rows are ordered by loan, then installment
    number: np.ndarray
    due: np.ndarray
    principal: np.ndarray
    interest: np.ndarray
    starts: np.ndarray  # first row of each loan


def _amortize_book(loans: _Loans) -> _Schedule:
    """schedules.amortize, once per distinct schedule length: each call then loops over exactly as many
    installment numbers as its loans have, and its rows (sorted by zero-padded loan ID) land by position."""
    starts = np.concatenate([[0], np.cumsum(loans.rows)[:-1]])
    total = int(loans.rows.sum())
    due = np.zeros(total, dtype=np.int32)
    principal = np.zeros(total, dtype=np.int64)
    interest = np.zeros(total, dtype=np.int64)
    methods = _strings(METHODS)
    for length in np.unique(loans.rows):
        members = np.flatnonzero(loans.rows == length)
        frame = pl.DataFrame(
            {
                "loan_id": loans.ids.gather(members),
                "principal": loans.principal[members],
                "annual_rate": loans.rate_bp[members] * 100,
                "repayment_method": methods.gather(loans.method[members]),
                "installments": loans.term[members],
                "first_due_date": _dates(loans.first_due[members]),
            }
        )
        out = amortize(frame)
        number = out["installment_no"].to_numpy().astype(np.int64)
        if not np.array_equal(number, np.tile(np.arange(1, length + 1), members.size)):
            raise RuntimeError("amortize returned rows in an unexpected order")
        position = np.repeat(starts[members], length) + number - 1
        due[position] = out["due_date"].cast(pl.Int32).to_numpy()
        principal[position] = out["principal_due"].to_numpy()
        interest[position] = out["interest_due"].to_numpy()
    loan = np.repeat(np.arange(loans.n, dtype=np.int32), loans.rows)
    number = (np.arange(total) - starts[loan] + 1).astype(np.int32)
    return _Schedule(loan, number, due, principal, interest, starts)


# --- payments ----------------------------------------------------------------------------------------------------


@dataclass
class _Paid:
    """Payment rows before IDs (in no particular order), and what stays unpaid per schedule row."""

    loan: np.ndarray
    paid_on: np.ndarray
    amount: np.ndarray
    principal: np.ndarray
    interest: np.ndarray
    penalty: np.ndarray
    order: np.ndarray  # tie-break within a loan and a day: installment × 4 + part; reversals after
    reverses: np.ndarray  # index of the reversed payment row, or -1
    split: np.ndarray  # whether the file gives the split
    unpaid_principal: np.ndarray  # per schedule row
    unpaid_interest: np.ndarray


def _waterfall(amount: np.ndarray, interest_due: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(principal, interest) parts of a payment toward one installment: interest first (Civil Code art. 561)."""
    interest = np.minimum(amount, interest_due)
    return amount - interest, interest


def _whole_yuan_share(amount: np.ndarray, low: int, high: int, rng: np.random.Generator) -> np.ndarray:
    """A share of low‰…high‰ of each amount, rounded down to whole yuan: what people actually transfer."""
    return amount * rng.integers(low, high, amount.size) // 1000 // 100 * 100


LATE_P = np.array([0.0, 0.22, 0.06, 0.06])  # chance an installment before the stop is paid late, per profile


def _payments(rng: np.random.Generator, loans: _Loans, sched: _Schedule, today: int) -> _Paid:
    """Installments due on or before as_of are paid (on time, a few days early, or late with penalty) up to each
    loan's stop; partial payers then pay part of each installment; some stopped borrowers pay a little after
    collection calls; a handful of payments bounce and are paid again."""
    due_rows = np.flatnonzero(sched.due <= today)  # nothing not yet due is ever paid
    loan = sched.loan[due_rows]
    number = sched.number[due_rows]
    due = sched.due[due_rows].astype(np.int64)
    profile = loans.profile[loan]
    u = rng.random(due_rows.size)
    after_stop = number >= loans.stop[loan]
    late = ~after_stop & (u < LATE_P[profile])
    delay = 3 + (87 * rng.random(due_rows.size) ** 2).astype(np.int64)
    early = np.maximum(rng.integers(-8, 6, due_rows.size), 0)  # about a third pay up to 5 days early
    paid_on = np.where(late, due + delay, due - early)
    full = np.flatnonzero(~after_stop & (paid_on <= today))  # paid late after as_of: still owed
    partial = np.flatnonzero(after_stop & (profile == PARTIAL) & (u < 0.75))
    del after_stop, u, early, profile

    # installments paid in full, late ones with the penalty on their principal for the days late
    f_rows = due_rows[full]
    f_loan, f_number, f_on = loan[full], number[full], paid_on[full]
    f_principal, f_interest = sched.principal[f_rows], sched.interest[f_rows]
    f_penalty = np.zeros(full.size, dtype=np.int64)
    was_late = np.flatnonzero(late[full])
    late_loan = f_loan[was_late]
    f_penalty[was_late] = _accrual(
        f_principal[was_late], loans.penalty_bp[late_loan], delay[full][was_late], loans.basis[late_loan]
    )
    f_amount = f_principal + f_interest + f_penalty
    del late, delay, paid_on

    # some on-time installments arrive in two transfers a few days apart
    on_time = np.ones(full.size, dtype=bool)
    on_time[was_late] = False
    two = np.flatnonzero(on_time & (rng.random(full.size) < 0.04) & (f_amount >= 200))
    t_amount = _whole_yuan_share(f_amount[two], 300, 700, rng)
    two, t_amount = two[t_amount > 0], t_amount[t_amount > 0]
    t_principal, t_interest = _waterfall(t_amount, f_interest[two])
    t_on = f_on[two] - rng.integers(0, 4, two.size)

    # partial payers: part of each installment from their stop on
    p_rows = due_rows[partial]
    p_amount = _whole_yuan_share(sched.principal[p_rows] + sched.interest[p_rows], 200, 800, rng)
    paying = p_amount > 0
    partial, p_rows, p_amount = partial[paying], p_rows[paying], p_amount[paying]
    p_principal, p_interest = _waterfall(p_amount, sched.interest[p_rows])
    p_on = np.minimum(due[partial] + rng.integers(0, 10, partial.size), today)

    unpaid_principal = sched.principal.copy()
    unpaid_interest = sched.interest.copy()
    unpaid_principal[f_rows] = 0
    unpaid_interest[f_rows] = 0
    unpaid_principal[p_rows] -= p_principal
    unpaid_interest[p_rows] -= p_interest

    f_amount[two] -= t_amount  # the main row becomes the second transfer
    f_principal[two] -= t_principal
    f_interest[two] -= t_interest
    zeros = np.zeros
    groups = [
        # loan, paid_on, amount, principal, interest, penalty, order
        (f_loan, f_on, f_amount, f_principal, f_interest, f_penalty, f_number * 4 + 1),
        (f_loan[two], t_on, t_amount, t_principal, t_interest, zeros(two.size, np.int64), f_number[two] * 4),
        (
            loan[partial],
            p_on,
            p_amount,
            p_principal,
            p_interest,
            zeros(partial.size, np.int64),
            number[partial] * 4,
        ),
    ]

    # stopped borrowers sometimes pay a little after the collectors call, toward the oldest installment
    stopped = np.flatnonzero((loans.profile == STOPPED) & (rng.random(loans.n) < 0.25))
    stop_row = sched.starts[stopped] + loans.stop[stopped] - 1
    stop_due = sched.due[stop_row].astype(np.int64)
    stopped, stop_row, stop_due = (
        stopped[stop_due < today - 1],
        stop_row[stop_due < today - 1],
        stop_due[stop_due < today - 1],
    )
    owed_interest = sched.interest[stop_row]
    owed = sched.principal[stop_row] + owed_interest
    first = _whole_yuan_share(owed, 100, 450, rng)
    second = np.where(rng.random(stopped.size) < 0.4, _whole_yuan_share(owed, 100, 450, rng), 0)
    day1 = np.minimum(stop_due + 1 + (rng.random(stopped.size) * (today - stop_due)).astype(np.int64), today)
    day2 = day1 + (rng.random(stopped.size) * (today - day1 + 1)).astype(np.int64)
    p1, i1 = _waterfall(first, owed_interest)
    p2, i2 = _waterfall(second, owed_interest - i1)
    for amount, principal, interest, day, part in ((first, p1, i1, day1, 2), (second, p2, i2, day2, 3)):
        keep = np.flatnonzero(amount > 0)
        unpaid_principal[stop_row[keep]] -= principal[keep]
        unpaid_interest[stop_row[keep]] -= interest[keep]
        groups.append(
            (
                stopped[keep],
                day[keep],
                amount[keep],
                principal[keep],
                interest[keep],
                zeros(keep.size, np.int64),
                loans.stop[stopped[keep]] * 4 + part,
            )
        )

    columns = [np.concatenate([g[i] for g in groups]) for i in range(7)]
    p_loan, p_day, p_amt, p_prin, p_int, p_pen, p_order = columns

    # a handful of reversals (bounced direct debits), each paid again a few days later
    candidates = np.flatnonzero(p_day <= today - 10)
    count = min(candidates.size, max(3, candidates.size // 2000))
    bounced = np.sort(rng.choice(candidates, size=count, replace=False)) if count else candidates[:0]
    reversal_on = p_day[bounced] + rng.integers(1, 4, count)
    again_on = reversal_on + rng.integers(1, 6, count)
    nothing = zeros(count, np.int64)

    def extend(values: np.ndarray, reversal: np.ndarray, again: np.ndarray) -> np.ndarray:
        return np.concatenate([values, reversal, again])

    return _Paid(
        loan=extend(p_loan, p_loan[bounced], p_loan[bounced]),
        paid_on=extend(p_day, reversal_on, again_on),
        amount=extend(p_amt, p_amt[bounced], p_amt[bounced]),
        principal=extend(p_prin, nothing, p_prin[bounced]),
        interest=extend(p_int, nothing, p_int[bounced]),
        penalty=extend(p_pen, nothing, p_pen[bounced]),
        order=extend(p_order, p_order[bounced] + 4096, p_order[bounced] + 8192),
        reverses=extend(np.full(p_loan.size, -1), bounced, np.full(count, -1)),
        split=extend(loans.has_split[p_loan], np.zeros(count, dtype=bool), loans.has_split[p_loan[bounced]]),
        unpaid_principal=unpaid_principal,
        unpaid_interest=unpaid_interest,
    )


def _payments_frame(paid: _Paid, loans: _Loans) -> pl.DataFrame:
    """Sorted by loan, day and installment, then numbered: payment IDs follow time within a loan. Takes the
    arrays out of `paid` as it goes, so the unsorted and sorted copies of a column never all coexist."""
    key = (paid.loan.astype(np.int64) << 33) | (paid.paid_on.astype(np.int64) << 16) | paid.order
    sort = pl.Series(values=key).arg_sort().to_numpy()
    del key
    n = sort.size
    width = max(10, len(str(n)))
    rank = np.empty(n, dtype=np.int64)
    rank[sort] = np.arange(n)
    reverses_sorted = paid.reverses[sort]
    reversal = np.flatnonzero(reverses_sorted >= 0)
    reverses = pl.repeat(None, n, dtype=pl.String, eager=True).scatter(
        reversal, _ids("P", rank[reverses_sorted[reversal]] + 1, width)
    )
    del rank, reverses_sorted
    base = pl.DataFrame({"payment_id": np.arange(1, n + 1), "loan_id": loans.ids.gather(paid.loan[sort])})
    paid.loan = paid.order = paid.reverses = _NOTHING
    for field, column in (
        ("paid_on", "paid_on"),
        ("amount", "amount"),
        ("principal", "principal_paid"),
        ("interest", "interest_paid"),
        ("penalty", "penalty_paid"),
        ("split", "split"),
    ):
        base = base.with_columns(pl.Series(column, getattr(paid, field)[sort]))
        setattr(paid, field, _NOTHING)
    return base.with_columns(reverses=reverses).select(
        _id_expr("payment_id", "P", width),
        "loan_id",
        pl.col("paid_on").cast(pl.Date),
        _yuan_expr("amount"),
        _yuan_expr("principal_paid", "split"),
        _yuan_expr("interest_paid", "split"),
        _yuan_expr("penalty_paid", "split"),
        pl.when("split").then(pl.lit(Decimal("0.00"), dtype=pl.Decimal(18, 2))).alias("fee_paid"),
        "reverses",
    )


def _schedules_frame(rng: np.random.Generator, loans: _Loans, sched: _Schedule) -> pl.DataFrame:
    """About 5% of loans come without schedule rows: the importer generates theirs from the loan's terms."""
    keep = (rng.random(loans.n) >= 0.05)[sched.loan]
    base = pl.DataFrame(
        {
            "loan_id": loans.ids.gather(sched.loan[keep]),
            "installment_no": sched.number[keep],
            "due_date": sched.due[keep],
            "principal_due": sched.principal[keep],
            "interest_due": sched.interest[keep],
        }
    )
    return base.select(
        "loan_id",
        "installment_no",
        pl.col("due_date").cast(pl.Date),
        _yuan_expr("principal_due"),
        _yuan_expr("interest_due"),
        pl.lit(Decimal("0.00"), dtype=pl.Decimal(18, 2)).alias("fee_due"),
    )


# --- state as of the date, and what it implies -------------------------------------------------------------------


@dataclass
class _State:
    owing: np.ndarray  # schedule rows due on or before as_of and not fully paid
    outstanding: np.ndarray  # per loan: principal not yet paid (due or not)
    overdue_interest: np.ndarray
    penalty: np.ndarray
    oldest_unpaid: np.ndarray  # due date of the oldest installment due and not fully paid, else NEVER
    status: np.ndarray  # 0 active, 1 closed, 2 written off


def _segment_starts(row_loan: np.ndarray) -> np.ndarray:
    """Indices where a new loan starts in rows sorted by loan."""
    return (
        np.flatnonzero(np.concatenate([[True], row_loan[1:] != row_loan[:-1]])) if row_loan.size else row_loan
    )


def _per_loan(values: np.ndarray, row_loan: np.ndarray, n: int) -> np.ndarray:
    """Sums per loan of values on rows sorted by loan (exact integer sums; loans without rows get 0)."""
    out = np.zeros(n, dtype=np.int64)
    if row_loan.size:
        starts = _segment_starts(row_loan)
        out[row_loan[starts]] = np.add.reduceat(values, starts)
    return out


def _state(rng: np.random.Generator, loans: _Loans, sched: _Schedule, paid: _Paid, today: int) -> _State:
    owing = np.flatnonzero((sched.due <= today) & ((paid.unpaid_principal > 0) | (paid.unpaid_interest > 0)))
    owing_loan = sched.loan[owing]
    owing_due = sched.due[owing].astype(np.int64)
    oldest = np.full(loans.n, NEVER, dtype=np.int64)
    first = _segment_starts(owing_loan)  # rows are in installment order: the first is the oldest
    oldest[owing_loan[first]] = owing_due[first]
    penalty = _accrual(
        paid.unpaid_principal[owing], loans.penalty_bp[owing_loan], today - owing_due, loans.basis[owing_loan]
    )
    outstanding = _segment_sum(paid.unpaid_principal, sched.starts)
    closed = (loans.maturity <= today) & (oldest == NEVER) & (outstanding == 0)
    writes_off = np.isin(loans.lender_type, (BANK, CONSUMER_FINANCE, MICROLOAN))
    written_off = writes_off & (oldest <= today - 180) & (rng.random(loans.n) < 0.3)
    return _State(
        owing=owing,
        outstanding=outstanding,
        overdue_interest=_per_loan(paid.unpaid_interest[owing], owing_loan, loans.n),
        penalty=_per_loan(penalty, owing_loan, loans.n),
        oldest_unpaid=oldest,
        status=np.where(closed, 1, np.where(written_off, 2, 0)),
    )


def _lender_names(rng: np.random.Generator) -> pl.Series:
    private = _person_names(rng, rng.random(PRIVATE_LENDER_POOL) < 0.7).name
    return pl.concat([_strings([row[1] for row in LENDERS]), private])


def _jurisdiction(
    rng: np.random.Generator, loans: _Loans, borrower_region: np.ndarray, borrower_district: np.ndarray
) -> pl.Series:
    """About half the contracts name a court or an arbitration commission."""
    n = loans.n
    table_size = len(LENDERS)
    lender_row = np.minimum(loans.lender, table_size - 1)
    city = _take([row[2] for row in LENDERS], lender_row)
    district = _take([row[3] for row in LENDERS], lender_row)
    lender_court = _concat(city, district, "人民法院")
    borrower_court = _concat(
        _take(REGION_PREFIX, borrower_region).str.replace(r"^.+?省|^.+?自治区", ""),
        _take(DISTRICTS, borrower_district),
        "人民法院",
    )
    arbitration = _concat(city.str.replace("市$", ""), "仲裁委员会")
    kind = _choice(rng, (0.45, 0.20, 0.15, 0.10, 0.10), n)
    private = loans.lender_type == PRIVATE
    kind = np.where(private & (kind == 0), 4, kind)
    fixed = pl.Series(
        values=[None, None, "贷款人住所地人民法院", "合同签订地人民法院", None], dtype=pl.String
    ).gather(kind)
    clause = _where(
        kind == 0, lender_court, _where(kind == 1, arbitration, _where(kind == 4, borrower_court, fixed))
    )
    stated = (rng.random(n) < 0.55) & ~((kind == 1) & private)
    return _where(stated, clause)


def _loans_frame(
    rng: np.random.Generator,
    loans: _Loans,
    borrower_ids: pl.Series,
    lender_names: pl.Series,
    jurisdiction: pl.Series,
) -> pl.DataFrame:
    """Every column but status, which depends on the payments."""
    n = loans.n
    purpose_options = [(p, list(v)) for p, v in PURPOSES.items()]
    purpose = pl.repeat(None, n, eager=True, dtype=pl.String)
    for product, options in purpose_options:
        pick = _take(options, rng.integers(0, len(options), n))
        purpose = _where(loans.product == product, pick, purpose)
    business = _take(COMPANY_PURPOSES, rng.integers(0, len(COMPANY_PURPOSES), n))
    purpose = _where(loans.company & (loans.product == TERM_LOAN), business, purpose)
    purpose = _where(rng.random(n) < 0.85, purpose)
    grace = np.where(
        loans.product == CREDIT_CARD, 3, np.where((loans.lender_type == BANK) & (rng.random(n) < 0.4), 3, 0)
    )
    return pl.DataFrame(
        {
            "loan_id": loans.ids,
            "borrower_id": borrower_ids,
            "lender": lender_names.gather(loans.lender),
            "lender_type": _take(LENDER_TYPES, loans.lender_type),
            "product_type": _take(PRODUCT_TYPES, loans.product),
            "currency": pl.repeat("CNY", n, eager=True, dtype=pl.String),
            "principal": _yuan(loans.principal),
            "annual_rate": _rate(loans.rate_bp),
            "penalty_rate": _rate(loans.penalty_bp, loans.penalty_given),
            "day_count": _take(["ACT/360", "ACT/365"], (loans.basis == 365).astype(np.int64)),
            "contract_date": _dates(loans.contract),
            "disbursement_date": _dates(loans.disbursed),
            "maturity_date": _dates(loans.maturity),
            "repayment_method": _take(METHODS, loans.method),
            "installments": pl.Series(values=loans.term.astype(np.int32)),
            "first_due_date": _dates(loans.first_due),
            "grace_days": pl.Series(values=grace.astype(np.int32)),
            # banks charge compound interest on overdue interest of term loans and mortgages (domain-rules.md §3.2)
            "compound_interest": pl.Series(
                values=((loans.lender_type == BANK) & np.isin(loans.product, [TERM_LOAN, MORTGAGE])).astype(
                    np.int8
                )
            ),
            "purpose": purpose,
            "jurisdiction_clause": jurisdiction,
        }
    )


# --- borrowers and contacts --------------------------------------------------------------------------------------


@dataclass
class _Borrowers:
    of_loan: np.ndarray  # borrower index of each loan
    company: np.ndarray
    region: np.ndarray
    district: np.ndarray
    male: np.ndarray
    names: _Names  # people's names; for companies the legal representative's
    display_name: pl.Series
    phone: pl.Series
    email: pl.Series
    address: pl.Series
    frame: pl.DataFrame


def _assign(rng: np.random.Generator, loans: int) -> tuple[np.ndarray, int]:
    """Borrower (0…b-1) of each of `loans` loans, about one borrower in ten with more than one loan."""
    borrowers = min(loans, int(np.ceil(loans / 1.1)))
    local = np.concatenate([np.arange(borrowers), rng.integers(0, max(borrowers, 1), loans - borrowers)])
    return rng.permutation(local), borrowers


def _borrowers(rng: np.random.Generator, loans: _Loans) -> _Borrowers:
    person_loans = np.flatnonzero(~loans.company)
    company_loans = np.flatnonzero(loans.company)
    person_of, persons = _assign(rng, person_loans.size)
    company_of, companies = _assign(rng, company_loans.size)
    b = persons + companies
    shuffle = rng.permutation(b)  # interleave people and companies in ID order
    of_loan = np.zeros(loans.n, dtype=np.int64)
    of_loan[person_loans] = shuffle[person_of]
    of_loan[company_loans] = shuffle[persons + company_of]
    company = np.zeros(b, dtype=bool)
    company[shuffle[persons:]] = True

    region = rng.choice(len(REGIONS), size=b, p=REGION_P)
    district = _districts(rng, region)
    male = rng.random(b) < 0.56
    earliest = np.full(b, NEVER, dtype=np.int64)
    np.minimum.at(earliest, of_loan, loans.contract)
    birth = _birth_days(rng, _add_months(earliest, -12 * 18))
    names = _person_names(rng, male)
    id_number = _resident_ids(rng, region, birth, male)
    display_name = names.name.clone()  # scatter writes in place; names keeps the legal representatives
    address = _home_addresses(rng, region, district)

    firms = np.flatnonzero(company)
    if firms.size:
        display_name = display_name.scatter(firms, _company_names(rng, region[firms]))
        id_number = id_number.scatter(firms, _usccs(rng, REGION_CODE[region[firms]]))
        address = address.scatter(firms, _office_addresses(rng, region[firms], district[firms]))
    phone = _phones(rng, b)
    birth_year = _ymd(birth)[0]
    email = _where(rng.random(b) < np.where(company, 0.4, 0.35), _emails(rng, names.pinyin, birth_year))
    address = _where(rng.random(b) < np.where(company, 0.9, 0.65), address)
    width = max(8, len(str(b)))
    frame = pl.DataFrame(
        {
            "borrower_id": _ids("B", np.arange(1, b + 1), width),
            "name": display_name,
            "id_type": _take(["resident_id", "uscc"], company.astype(np.int64)),
            "id_number": id_number,
            "phone": phone,
            "email": email,
            "address": address,
            "province": _take([r[1] for r in REGIONS], region),
            "city": _take([r[2] for r in REGIONS], region),
            "is_company": pl.Series(values=company.astype(np.int8)),
        }
    )
    return _Borrowers(
        of_loan, company, region, district, male, names, display_name, phone, email, address, frame
    )


def _contacts(rng: np.random.Generator, people: _Borrowers) -> pl.DataFrame:
    """The borrower themself, then up to two of spouse, parents, relatives, emergency contacts, employer."""
    b = people.company.size
    count = 1 + _choice(rng, (0.30, 0.45, 0.25), b)
    owner = np.repeat(np.arange(b), count)
    slot = np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
    c = owner.size
    relations = ("self", "spouse", "parent", "relative", "emergency", "employer", "other")
    second = np.array([1, 2, 4, 3])[_choice(rng, (0.40, 0.25, 0.25, 0.10), c)]
    third = np.array([2, 3, 4, 5, 6])[_choice(rng, (0.35, 0.20, 0.30, 0.10, 0.05), c)]
    relation = np.where(slot == 0, 0, np.where(slot == 1, second, third))
    firm = people.company[owner]
    relation = np.where(firm & (relation > 0), np.where(slot == 1, 6, 4), relation)

    own_surname = people.names.surname[owner]
    random_surname = rng.choice(len(SURNAMES), size=c, p=_SURNAME_P)
    family = (relation == 2) | ((relation == 3) & (rng.random(c) < 0.5))
    male = np.where(relation == 1, ~people.male[owner], rng.random(c) < 0.5)
    names = _person_names(rng, male, np.where(family, own_surname, random_surname)).name
    names = _where(relation == 0, people.names.name.gather(owner), names)
    employers = np.flatnonzero(relation == 5)
    if employers.size:
        names = names.scatter(employers, _company_names(rng, people.region[owner[employers]]))

    own_phone = (relation == 0) & (rng.random(c) < 0.6)
    phone = _where(own_phone, people.phone.gather(owner), _phones(rng, c))
    phone = _where((relation == 0) | (rng.random(c) < 0.95), phone)
    email = _where(relation == 0, people.email.gather(owner))
    shares_home = (relation == 0) | (((relation == 1) | (relation == 2)) & (rng.random(c) < 0.5))
    address = _where(shares_home, people.address.gather(owner))
    consented = rng.random(c) < np.where(relation == 0, 0.95, 0.35)
    borrower_ids = people.frame["borrower_id"]
    return pl.DataFrame(
        {
            "contact_id": _ids("K", np.arange(1, c + 1), max(8, len(str(c)))),
            "borrower_id": borrower_ids.gather(owner),
            "relation": _take(relations, relation),
            "name": names,
            "phone": phone,
            "email": email,
            "address": address,
            "consented": pl.Series(values=consented.astype(np.int8)),
        }
    )


# --- security: collateral and guarantees --------------------------------------------------------------------------


def _collateral(rng: np.random.Generator, loans: _Loans, people: _Borrowers) -> pl.DataFrame:
    n = loans.n
    u = rng.random(n)
    guarantee_term = (loans.lender_type == GUARANTEE) & (loans.product == TERM_LOAN)
    kind = np.full(n, -1)
    kind = np.where(loans.product == MORTGAGE, 0, kind)
    kind = np.where(loans.product == AUTO, 1, kind)
    kind = np.where(guarantee_term & (u < 0.15), np.where(loans.company, 3, 0), kind)
    kind = np.where(guarantee_term & (u >= 0.15) & (u < 0.22), 2, kind)
    kind = np.where(guarantee_term & loans.company & (u >= 0.22) & (u < 0.30), 4, kind)
    kind = np.where((loans.lender_type == BANK) & (loans.product == TERM_LOAN) & (u < 0.04), 0, kind)
    kind = np.where(
        (loans.lender_type == BANK) & (loans.product == TERM_LOAN) & (u >= 0.04) & (u < 0.05), 2, kind
    )
    loan = np.flatnonzero(kind >= 0)
    kind = kind[loan]
    m = loan.size
    principal = loans.principal[loan]
    borrower = people.of_loan[loan]
    region = people.region[borrower]

    home = _concat(
        _take(REGION_PREFIX, region),
        _take(DISTRICTS, _districts(rng, region)),
        _take(ROADS, rng.integers(0, len(ROADS), m)),
        _text(rng.integers(1, 900, m)),
        "号",
        _take(ESTATES, rng.integers(0, len(ESTATES), m)),
        _text(rng.integers(1, 31, m)),
        "栋",
        _text(rng.integers(1, 34, m) * 100 + rng.integers(1, 5, m)),
        "室，住宅，建筑面积",
        _text(rng.integers(45, 180, m)),
        "平方米",
    )
    plate = _concat(
        _take([r[4] for r in REGIONS], region),
        "·",
        _take(list("ABCDEFGHJKLMNPQRSTUVWXYZ"), rng.integers(0, 24, m)),
        _text(rng.integers(1000, 10000, m)),
    )
    car = _concat(_take(CAR_MODELS, rng.integers(0, len(CAR_MODELS), m)), "，车牌号", plate)
    deposit = _concat("保证金质押，账户尾号", _text(rng.integers(1000, 10000, m)))
    equity = _concat(_company_names(rng, region), _text(rng.integers(10, 61, m)), "%股权质押")
    receivable = _concat("应收账款质押：对", _company_names(rng, region), "的应收账款")
    description = _where(
        kind == 0,
        home,
        _where(kind == 1, car, _where(kind == 2, deposit, _where(kind == 3, equity, receivable))),
    )
    ltv_permille = rng.integers(
        450, 800, m
    )  # loan-to-value; values in whole thousands (cars: hundreds) of yuan
    value = principal * 1000 // ltv_permille // 100_000 * 100_000
    value = np.where(kind == 1, principal * 1000 // ltv_permille // 10_000 * 10_000, value)
    value = np.where(kind == 2, principal // 10 // 100 * 100, value)
    valued = rng.random(m) < 0.95
    appraised_on = loans.contract[loan] - rng.integers(0, 40, m)
    lien_rank = np.where(
        (kind == 0) & (loans.product[loan] != MORTGAGE),
        2,
        np.where((kind == 0) & (rng.random(m) < 0.08), 2, 1),
    )
    ranked = kind <= 1
    registered = rng.random(m) < np.where(kind <= 1, 0.96, 0.7)
    return pl.DataFrame(
        {
            "collateral_id": _ids("C", np.arange(1, m + 1), max(8, len(str(m)))),
            "loan_id": loans.ids.gather(loan),
            "kind": _take(["real_estate", "vehicle", "deposit", "equity", "receivable"], kind),
            "description": description,
            "appraised_value": _yuan(value, valued),
            "appraised_on": _dates(appraised_on, valued),
            "lien_rank": pl.Series(values=lien_rank.astype(np.int32)).set(pl.Series(values=~ranked), None),
            "registered": pl.Series(values=registered.astype(np.int8)),
        }
    )


def _guarantees(
    rng: np.random.Generator,
    loans: _Loans,
    people: _Borrowers,
    lender_names: pl.Series,
    lender_usccs: pl.Series,
) -> pl.DataFrame:
    """Guarantee companies guarantee their own book; elsewhere people (and related companies) guarantee some
    term loans, mortgages and car loans."""
    n = loans.n
    u = rng.random(n)
    securable = np.isin(loans.product, (TERM_LOAN, MORTGAGE, AUTO)) & (loans.lender_type != GUARANTEE)
    by_company = loans.lender_type == GUARANTEE
    by_person = (securable & (u < np.where(loans.company, 0.5, 0.05))) | (by_company & (u < 0.15))
    by_firm = loans.company & (rng.random(n) < 0.35)
    loan = np.concatenate([np.flatnonzero(by_company), np.flatnonzero(by_person), np.flatnonzero(by_firm)])
    who = np.concatenate(
        [
            np.zeros(by_company.sum(), dtype=np.int64),
            np.ones(by_person.sum(), dtype=np.int64),
            np.full(by_firm.sum(), 2),
        ]
    )
    order = np.lexsort((who, loan))
    loan, who = loan[order], who[order]
    m = loan.size

    region = rng.choice(len(REGIONS), size=m, p=REGION_P)
    male = rng.random(m) < 0.6
    person = _person_names(rng, male)
    latest = _add_months(loans.contract[loan], -12 * 22)
    ids = _resident_ids(rng, region, _birth_days(rng, latest), male)
    firm_names = _company_names(rng, region)
    firm_ids = _usccs(rng, REGION_CODE[region])
    lender_row = np.minimum(loans.lender[loan], len(LENDERS) - 1)
    name = _where(
        who == 0, lender_names.gather(loans.lender[loan]), _where(who == 1, person.name, firm_names)
    )
    id_number = _where(who == 0, lender_usccs.gather(lender_row), _where(who == 1, ids, firm_ids))
    phone = _where((who == 1) | (rng.random(m) < 0.5), _phones(rng, m))
    joint = (who == 0) | (rng.random(m) < 0.65)
    period = _choice(rng, (0.30, 0.25, 0.15, 0.30), m)  # 6 months, 2 years, 3 years after maturity; unstated
    months = np.array([6, 24, 36, 0])[period]
    period = np.where(who == 0, np.where(rng.random(m) < 0.6, 2, 3), period)
    months = np.where(who == 0, 36, months)
    period_end = _add_months(loans.maturity[loan], months)
    capped = (who != 0) & (rng.random(m) < 0.3)
    cap = loans.principal[loan] * rng.integers(30, 101, m) // 100 // 100_000 * 100_000
    capped &= cap > 0
    return pl.DataFrame(
        {
            "guarantee_id": _ids("G", np.arange(1, m + 1), max(8, len(str(m)))),
            "loan_id": loans.ids.gather(loan),
            "guarantor_name": name,
            "guarantor_id_number": id_number,
            "guarantor_phone": phone,
            "guarantee_type": _take(["general", "joint"], joint.astype(np.int64)),
            "period_end": _dates(period_end, period != 3),
            "amount_cap": _yuan(cap, capped),
        }
    )


# --- claims, assignments, recourse --------------------------------------------------------------------------------


def _recourse(
    rng: np.random.Generator,
    loans: _Loans,
    sched: _Schedule,
    paid: _Paid,
    state: _State,
    today: int,
    lender_names: pl.Series,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, pl.DataFrame]:
    """代偿: some weeks after default the guarantee company paid the lender the remaining principal and the
    interest then overdue."""
    loan = np.flatnonzero((loans.lender_type == GUARANTEE) & (state.oldest_unpaid <= today))
    m = loan.size
    since = today - state.oldest_unpaid[loan]
    wait = rng.integers(15, 121, m)
    paid_on = state.oldest_unpaid[loan] + np.where(
        wait <= since, wait, (since * rng.uniform(0.5, 1.0, m)).astype(np.int64)
    )
    when = np.full(loans.n, -1, dtype=np.int64)
    when[loan] = paid_on
    owing_loan = sched.loan[state.owing]
    by_then = sched.due[state.owing] <= when[owing_loan]
    interest_then = _per_loan(np.where(by_then, paid.unpaid_interest[state.owing], 0), owing_loan, loans.n)[
        loan
    ]
    amount = state.outstanding[loan] + interest_then
    rate_bp = np.array([600, 800, 1000, 1200, 1500, 1800])[rng.integers(0, 6, m)]
    rated = rng.random(m) < 0.85
    frame = pl.DataFrame(
        {
            "loan_id": loans.ids.gather(loan),
            "guarantor": lender_names.gather(loans.lender[loan]),
            "paid_on": _dates(paid_on),
            "amount": _yuan(amount),
            "recourse_rate": _rate(rate_bp, rated),
        }
    )
    return loan, paid_on, amount, np.where(rated, rate_bp, 0), frame


def _assignments(
    rng: np.random.Generator, loans: _Loans, state: _State, today: int, lender_names: pl.Series
) -> pl.DataFrame:
    """债权转让: AMCs bought these debts from banks and consumer-finance companies, some through another AMC."""
    loan = np.flatnonzero(loans.lender_type == AMC)
    m = loan.size
    overdue = state.oldest_unpaid[loan] <= today
    disbursed = loans.disbursed[loan]
    earliest = np.where(
        overdue,
        state.oldest_unpaid[loan] + np.minimum(60, (today - state.oldest_unpaid[loan]) // 2),
        np.minimum(disbursed + 30, today),
    )
    assigned_on = earliest + (rng.random(m) * (today - earliest + 1)).astype(np.int64)
    sellers = np.array([i for i, row in enumerate(LENDERS) if row[0] in (BANK, CONSUMER_FINANCE)])
    seller = sellers[rng.integers(0, sellers.size, m)]
    amcs = np.array([i for i, row in enumerate(LENDERS) if row[0] == AMC])
    via = amcs[rng.integers(0, amcs.size, m)]
    via = np.where(via == loans.lender[loan], amcs[(np.searchsorted(amcs, via) + 1) % amcs.size], via)
    chained = rng.random(m) < 0.15
    first_on = np.maximum(assigned_on - rng.integers(30, 366, m), disbursed + 1)
    chained &= first_on < assigned_on

    chain = np.flatnonzero(chained)
    rows_loan = np.concatenate([loan, loan[chain]])
    assignor = np.concatenate([np.where(chained, via, seller), seller[chain]])
    assignee = np.concatenate([loans.lender[loan], via[chain]])
    on = np.concatenate([assigned_on, first_on[chain]])
    notice = on + rng.integers(3, 91, on.size)
    noticed = (rng.random(on.size) < 0.85) & (notice <= today)
    order = np.lexsort((on, rows_loan))
    return pl.DataFrame(
        {
            "loan_id": loans.ids.gather(rows_loan[order]),
            "assignor": lender_names.gather(assignor[order]),
            "assignee": lender_names.gather(assignee[order]),
            "assigned_on": _dates(on[order]),
            "notice_delivered_on": _dates(notice[order], noticed[order]),
        }
    )


def _claims(
    rng: np.random.Generator,
    loans: _Loans,
    state: _State,
    today: int,
    lender_names: pl.Series,
    recourse: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> pl.DataFrame:
    overdue = state.oldest_unpaid <= today
    always = np.isin(loans.lender_type, (GUARANTEE, AMC))
    loan = np.flatnonzero(overdue & (always | (rng.random(loans.n) < 0.92)))
    m = loan.size
    principal = state.outstanding[loan].copy()
    interest = state.overdue_interest[loan].copy()
    penalty = state.penalty[loan].copy()
    fees = np.zeros(m, dtype=np.int64)
    case = np.where(loans.lender_type[loan] == AMC, 1, np.where(loans.lender_type[loan] == GUARANTEE, 2, 0))

    r_loan, r_on, r_amount, r_rate = recourse
    at = np.searchsorted(r_loan, loan)
    has_recourse = (case == 2) & (at < r_loan.size)
    at = np.minimum(at, max(r_loan.size - 1, 0))
    if r_loan.size:
        has_recourse &= r_loan[at] == loan
        rec_amount, rec_on, rec_rate = r_amount[at], r_on[at], r_rate[at]
        rec_interest = _accrual(rec_amount, rec_rate, today - rec_on, 360)
        principal = np.where(has_recourse, rec_amount, principal)
        interest = np.where(has_recourse, rec_interest, interest)
        penalty = np.where(has_recourse, 0, penalty)

    # a few claims do not match the data: what intake verification is for
    off = rng.random(m) < 0.04
    how = rng.integers(0, 5, m)
    principal = np.where(off & (how == 0), principal * rng.integers(101, 116, m) // 100, principal)
    principal = np.where(off & (how == 1), loans.principal[loan], principal)
    interest = np.where(off & (how == 2), interest * 3 // 2 + 10_000, interest)
    penalty = np.where(off & (how == 3), penalty * 2 + 10_000, penalty)
    fees = np.where(off & (how == 4), rng.integers(2, 31, m) * 10_000, fees)
    return pl.DataFrame(
        {
            "loan_id": loans.ids.gather(loan),
            "as_of": _dates(np.full(m, today)),
            "principal": _yuan(principal),
            "interest": _yuan(interest),
            "penalty": _yuan(penalty),
            "fees": _yuan(fees),
            "case_type": _take(["own", "assigned", "guarantee_recourse"], case),
            "claimant": lender_names.gather(loans.lender[loan]),
        }
    )


# --- entry points ------------------------------------------------------------------------------------------------


def generate_portfolio(n_loans: int, seed: int, as_of: dt.date) -> dict[str, pl.DataFrame]:
    """A portfolio of `n_loans` loans as of `as_of`, one frame per file of the format, columns in format order.
    Amounts are Decimal(scale 2) yuan, rates Decimal(scale 4), dates Date: `write_csv` writes them as the format
    wants. Deterministic in (n_loans, seed, as_of)."""
    if n_loans < 1:
        raise ValueError("n_loans must be at least 1")
    streams = _Streams(seed)
    today = _day(as_of)
    loan_rng, security_rng, claims_rng = streams("loans"), streams("security"), streams("claims")
    loans = _draw_loans(loan_rng, n_loans, today)
    frames: dict[str, pl.DataFrame] = {}
    # amortize leaves a core idle much of the time: build what does not depend on the schedules meanwhile
    with ThreadPoolExecutor(max_workers=1) as pool:
        amortizing = pool.submit(_amortize_book, loans)
        people = _borrowers(streams("people"), loans)
        frames["borrowers"] = people.frame
        frames["contacts"] = _contacts(streams("contacts"), people)
        lender_names = _lender_names(security_rng)
        lender_usccs = _usccs(security_rng, np.array([row[4] for row in LENDERS]))
        frames["collateral"] = _collateral(security_rng, loans, people)
        frames["guarantees"] = _guarantees(security_rng, loans, people, lender_names, lender_usccs)
        jurisdiction = _jurisdiction(
            loan_rng, loans, people.region[people.of_loan], people.district[people.of_loan]
        )
        borrower_ids = people.frame["borrower_id"].gather(people.of_loan)
        loan_frame = _loans_frame(loan_rng, loans, borrower_ids, lender_names, jurisdiction)
        del people, jurisdiction, borrower_ids
        sched = amortizing.result()
        del amortizing  # the future would keep the schedule arrays alive

    paid = _payments(streams("payments"), loans, sched, today)
    state = _state(claims_rng, loans, sched, paid, today)
    recourse = _recourse(claims_rng, loans, sched, paid, state, today, lender_names)
    paid.unpaid_principal = paid.unpaid_interest = _NOTHING  # what matters of them is in the state now
    frames["loans"] = loan_frame.with_columns(status=_take(["active", "closed", "written_off"], state.status))
    frames["claims"] = _claims(claims_rng, loans, state, today, lender_names, recourse[:4])
    frames["assignments"] = _assignments(claims_rng, loans, state, today, lender_names)
    frames["recourse_payments"] = recourse[4]
    del state, recourse
    frames["schedules"] = _schedules_frame(streams("schedules"), loans, sched)
    del sched
    frames["payments"] = _payments_frame(paid, loans)
    return {name: frames[name].select(columns) for name, columns in FILE_COLUMNS.items()}


def write_portfolio(frames: dict[str, pl.DataFrame], out: Path) -> dict[str, int]:
    """Write one UTF-8 CSV per frame into directory `out` (created if needed), or into a zip when `out` ends in
    .zip. Zip entries carry a fixed timestamp so the same frames give a byte-identical file. Returns rows per
    file."""
    out = Path(out)
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for name, frame in frames.items():
                info = zipfile.ZipInfo(f"{name}.csv", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info._compresslevel = 1  # type: ignore[attr-defined]  # level 6 would triple the time
                with archive.open(info, "w", force_zip64=True) as handle:
                    frame.write_csv(handle)
    else:
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in frames.items():
            frame.write_csv(out / f"{name}.csv")
    return {f"{name}.csv": frame.height for name, frame in frames.items()}
