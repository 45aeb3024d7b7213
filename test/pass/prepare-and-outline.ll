; pydron-prepare and pydron by name, on IR without clang:
;  - pydron-prepare moves the annotations into attributes, marks functional
;    definitions noinline (until pydron has seen their calls), gives
;    functional declarations the contract's memory effects, and tags every
;    loop of a schedule function (llvm.loop id + !pydron.loops);
;  - pydron outlines the parallel loop and registers it.
; RUN: %opt_pydron -passes=pydron-prepare -S %s -o - | FileCheck %s --check-prefix=PREP
; RUN: %opt_pydron -passes='pydron-prepare,pydron' -S %s -o - -pass-remarks=pydron -pass-remarks-missed=pydron 2>%t.err | FileCheck %s --check-prefix=IR
; RUN: FileCheck %s --check-prefix=REMARK < %t.err
; RUN: %opt_pydron -passes='pydron-prepare,print<pydron>' -disable-output %s | FileCheck %s --check-prefix=PRINT

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@.str = private unnamed_addr constant [18 x i8] c"pydron.functional\00", section "llvm.metadata"
@.str.1 = private unnamed_addr constant [6 x i8] c"map.c\00", section "llvm.metadata"
@.str.2 = private unnamed_addr constant [16 x i8] c"pydron.schedule\00", section "llvm.metadata"
@llvm.global.annotations = appending global [3 x { ptr, ptr, ptr, i32, ptr }] [{ ptr, ptr, ptr, i32, ptr } { ptr @g, ptr @.str, ptr @.str.1, i32 3, ptr null }, { ptr, ptr, ptr, i32, ptr } { ptr @map, ptr @.str.2, ptr @.str.1, i32 4, ptr null }, { ptr, ptr, ptr, i32, ptr } { ptr @f, ptr @.str, ptr @.str.1, i32 2, ptr null }], section "llvm.metadata"

; PREP: define dso_local double @g(double noundef %0) #[[G:[0-9]+]]
define dso_local double @g(double noundef %0) #0 {
  %2 = fadd double %0, 1.000000e+00
  ret double %2
}

; PREP-LABEL: define dso_local void @map(
; PREP: br i1 %{{[0-9]+}}, label %{{[0-9]+}}, label %._crit_edge, !llvm.loop ![[LOOP:[0-9]+]]
; IR-LABEL: define dso_local void @map(
; IR: call i32 @pydron_parallel_for(ptr @pydron.loop.1, i64 %{{.*}}, ptr %{{.*}}, ptr %{{.*}})
; The sequential loop stays; the small functional callee g is inlined into
; it after the pydron pass has seen the call.
; IR-NOT: call double @g(
; IR: fadd double %{{.*}}, 1.000000e+00
; IR: call double @f(
define dso_local void @map(ptr noalias noundef %0, ptr noalias noundef %1, i64 noundef %2) #1 {
  %4 = icmp slt i64 0, %2
  br i1 %4, label %.lr.ph, label %13

.lr.ph:
  br label %5

5:
  %.06 = phi i64 [ 0, %.lr.ph ], [ %11, %5 ]
  %6 = getelementptr inbounds double, ptr %1, i64 %.06
  %7 = load double, ptr %6, align 8
  %8 = call double @g(double noundef %7)
  %9 = call double @f(double noundef %8)
  %10 = getelementptr inbounds double, ptr %0, i64 %.06
  store double %9, ptr %10, align 8
  %11 = add nuw nsw i64 %.06, 1
  %12 = icmp slt i64 %11, %2
  br i1 %12, label %5, label %._crit_edge, !llvm.loop !0

._crit_edge:
  br label %13

13:
  ret void
}

; PREP: declare double @f(double noundef) #[[F:[0-9]+]]
declare double @f(double noundef) #2

; IR: define internal void @map.pydron.chunk.1(i64 %lo, i64 %hi, ptr %env, ptr %partial)
; IR: call double @f(
; IR: define internal void @pydron.register()
; IR: call void @pydron_register_module(ptr @pydron.module)

; REMARK: remark: <unknown>:0:0: loop parallelized (calls 'g', 'f'); shippable

; PRINT: loop 1 in map at :0:0: parallel, shippable
; PRINT-NEXT: trip count: %2
; PRINT-NEXT: induction: a value start i64 0 step 1
; PRINT-NEXT: access: read of parameter #2 [{%1,+,8}<nuw><%5>, {(8 + %1),+,8}<nw><%5>)
; PRINT-NEXT: access: write to parameter #1 [{%0,+,8}<{{.*}}><%5>, {(8 + %0),+,8}<nw><%5>)

attributes #0 = { nounwind uwtable }
attributes #1 = { noinline nounwind uwtable }
attributes #2 = { nounwind }

!0 = distinct !{!0, !1}
!1 = !{!"llvm.loop.mustprogress"}

; PREP-DAG: attributes #[[G]] = { noinline nounwind uwtable "pydron-added-noinline" "pydron-functional" }
; PREP-DAG: attributes #[[F]] = { {{.*}}willreturn memory(read, argmem: readwrite) "pydron-functional" }
; PREP-DAG: ![[LOOP]] = distinct !{![[LOOP]], ![[MP:[0-9]+]], ![[ID:[0-9]+]]}
; PREP-DAG: ![[ID]] = !{!"pydron.loop.id", i32 1}
; PREP-DAG: !pydron.loops = !{![[TAG:[0-9]+]]}
; PREP-DAG: ![[TAG]] = !{i32 1, i32 0, !"map", !"", i32 0, i32 0, i32 0, !{{[0-9]+}}}
